import HDF5

/// What MovieLens says about each user — ml-1m's `users.dat`, ml-100k's `u.user` — one entry
/// per dense user index; the other releases have none (every entry unknown).
///
/// | path               | dtype  | shape     | meaning                                                           |
/// |--------------------|--------|-----------|-------------------------------------------------------------------|
/// | `/users/gender`    | string | (n_users) | `M`, `F`, or "" if unknown                                        |
/// | `/users/age`       | int32  | (n_users) | ml-100k: age in years; ml-1m: its age-group code (1, 18, 25, 35, 45, 50, 56); 0 if unknown |
/// | `/users/occupation`| string | (n_users) | as the source writes it (ml-1m: a code `0`…`20`, see its README; ml-100k: a name); "" if unknown |
/// | `/users/zip`       | string | (n_users) | zip code as written; "" if unknown                                |
///
/// Users with ratings but no line in the users file are unknown; lines of users without ratings
/// are not kept.
///
///     let attributes = table.userAttributes
///     attributes.gender[0]   // "F" (ml-1m user 1)
///     attributes.age[0]      // 1 (ml-1m's code for "under 18")
public struct UserAttributes: Sendable, Equatable {
    public var gender: [String]
    public var age: [Int32]
    public var occupation: [String]
    public var zip: [String]

    public init(gender: [String], age: [Int32], occupation: [String], zip: [String]) {
        (self.gender, self.age, self.occupation, self.zip) = (gender, age, occupation, zip)
    }

    /// Every one of `count` users unknown.
    public static func unknown(count: Int) -> UserAttributes {
        let blank = [String](repeating: "", count: count)
        return UserAttributes(gender: blank, age: [Int32](repeating: 0, count: count), occupation: blank, zip: blank)
    }

    public var count: Int { gender.count }

    /// The oldest age a users file may give.
    public static let maximumAge = UserInfo.maximumAge

    /// The attribute groups the models read, in this order.
    public static let groups = ["gender", "age", "occupation", "zip"]

    /// ML-1M's age group of an age in years (ml-100k) or of ml-1m's own code: 1 (under 18), 18,
    /// 25, 35, 45, 50, 56; nil for 0 (unknown).
    public static func ageGroup(_ age: Int32) -> Int32? {
        guard age > 0 else { return nil }
        return [56, 50, 45, 35, 25, 18].first { age >= $0 } ?? 1
    }

    /// The categorical value of each group for one user, as the models use them (nil: unknown):
    /// gender as written, the age group, the occupation as written, the zip code's first
    /// character (the region of a US zip code).
    ///
    ///     UserAttributes.values(gender: "F", age: 23, occupation: "4", zip: "55455")
    ///     // ["gender": "F", "age": "18", "occupation": "4", "zip": "5"]
    public static func values(gender: String, age: Int32, occupation: String, zip: String) -> [String: String] {
        var values: [String: String] = [:]
        if !gender.isEmpty { values["gender"] = gender }
        if let group = ageGroup(age) { values["age"] = String(group) }
        if !occupation.isEmpty { values["occupation"] = occupation }
        if let first = zip.first { values["zip"] = String(first) }
        return values
    }

    /// `values(…)` of user `index`.
    public func values(of index: Int) -> [String: String] {
        Self.values(gender: gender[index], age: age[index], occupation: occupation[index], zip: zip[index])
    }

    /// Whether every attribute has one entry for each of `users` users.
    public func fits(users: Int) -> Bool {
        gender.count == users && age.count == users && occupation.count == users && zip.count == users
    }

    /// Users whose attributes are all unknown.
    public var unknownCount: Int {
        (0..<count).reduce(0) { $0 + (gender[$1].isEmpty && age[$1] == 0 && occupation[$1].isEmpty && zip[$1].isEmpty ? 1 : 0) }
    }

    /// The attributes of users `ids` (dense order) from the parsed users file.
    static func of(_ ids: [Int64], in users: [Int64: UserInfo]) -> UserAttributes {
        var attributes = UserAttributes.unknown(count: ids.count)
        for (index, id) in ids.enumerated() {
            guard let user = users[id] else { continue }
            attributes.gender[index] = user.gender
            attributes.age[index] = user.age
            attributes.occupation[index] = user.occupation
            attributes.zip[index] = user.zip
        }
        return attributes
    }

    /// Writes the four datasets into `users` (a file's `/users` group).
    public func write(to users: HDF5Group) throws {
        try users.write("gender", strings: gender)
        try users.write("age", age)
        try users.write("occupation", strings: occupation)
        try users.write("zip", strings: zip)
    }

    /// Reads the four datasets of `file`'s `/users` group, `count` entries each; genders `M`, `F`
    /// or "", ages in 0…200.
    public static func read(from file: HDF5File, count: Int) throws -> UserAttributes {
        let check = ContentCheck(file: file.filePath)
        let attributes = UserAttributes(
            gender: try file.readStrings("users/gender", count: count, why: "n_users"),
            age: try file.read("users/age", shape: [count], why: "n_users"),
            occupation: try file.readStrings("users/occupation", count: count, why: "n_users"),
            zip: try file.readStrings("users/zip", count: count, why: "n_users"))
        if let position = attributes.gender.firstIndex(where: { !["M", "F", ""].contains($0) }) {
            throw check.fail("/users/gender", "position \(position) holds '\(attributes.gender[position])': a gender is M, F or \"\" (unknown)")
        }
        if let position = attributes.age.firstIndex(where: { !(0...UserInfo.maximumAge).contains($0) }) {
            throw check.fail("/users/age", "position \(position): age \(attributes.age[position]) is outside 0…\(UserInfo.maximumAge)")
        }
        return attributes
    }
}

/// One line of a users file.
struct UserInfo: Sendable, Equatable {
    static let maximumAge: Int32 = 200
    var gender: String
    var age: Int32
    var occupation: String
    var zip: String
}

/// Reads `users.dat` (ml-1m: `UserID::Gender::Age::Occupation::Zip-code`) and `u.user`
/// (ml-100k: `user id | age | gender | occupation | zip code`); both ISO-8859-1.
///
/// Every line must have its five fields, a whole-number user id listed once, gender `M` or `F`
/// and a whole-number age in 0…200; anything else is bad input naming the file and line.
enum UsersParser {
    static func parse(_ file: TextFile, kind: DatasetKind) throws -> [Int64: UserInfo] {
        var users: [Int64: UserInfo] = [:]
        var firstLine: [Int64: Int] = [:]
        let separator = kind == .ml100k ? "|" : "::"
        for (index, line) in file.lines(latin1: true).enumerated() where !line.isEmpty {
            let number = index + 1
            func fail(_ message: String) -> MovieLensError { MovieLensError(file: file.path, line: number, message) }
            let fields = line.components(separatedBy: separator)
            guard fields.count == 5 else {
                throw fail("expected 5 fields separated by '\(separator)', found \(fields.count)")
            }
            let (idText, genderText, ageText, occupation, zip) = kind == .ml100k
                ? (fields[0], fields[2], fields[1], fields[3], fields[4])
                : (fields[0], fields[1], fields[2], fields[3], fields[4])
            guard let id = Int64(idText), id >= 0 else { throw fail("user id '\(idText)' is not a whole number") }
            if let first = firstLine[id] { throw fail("user \(id) is listed again (first on line \(first))") }
            guard genderText == "M" || genderText == "F" else { throw fail("gender '\(genderText)' of user \(id) is neither M nor F") }
            guard let age = Int32(ageText), (0...UserInfo.maximumAge).contains(age) else {
                throw fail("age '\(ageText)' of user \(id) is not a whole number in 0…\(UserInfo.maximumAge)")
            }
            firstLine[id] = number
            users[id] = UserInfo(gender: genderText, age: age, occupation: occupation, zip: zip)
        }
        return users
    }
}
