import ArgumentParser

// ArgumentParser's property wrappers are Decodable (its own decoder fills them) but not
// Encodable: encoding one encodes its value, so that an option set's synthesized `encode(to:)`
// lists every option under its property's name (see `ArgumentsEncoder`).
extension Option: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }
}

extension Flag: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }
}

/// An option group's options are encoded among its parent's (as they are parsed: one namespace).
extension OptionGroup: @retroactive Encodable where Value: Encodable {
    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }
}

/// Turns an encodable option set into (property name, value) pairs in declaration order: a
/// minimal `Encoder` whose keyed containers flatten (option groups share their parent's names),
/// whose scalars become their text (`description`, a string enum its raw value) and whose
/// unkeyed containers become lists.
enum ArgumentsEncoder {
    static func entries<T: Encodable>(of value: T) -> [(name: String, value: ArgumentValue)] {
        let sink = Sink()
        // The option sets encode plain values (numbers, strings, string enums, lists of them):
        // nothing here can throw.
        try! value.encode(to: FieldEncoder(sink: sink, field: nil))
        return sink.entries
    }

    final class Sink {
        var entries: [(name: String, value: ArgumentValue)] = []
        func set(_ field: String?, _ value: ArgumentValue) {
            guard let field else { preconditionFailure("an option set encodes a value outside a field") }
            if let index = entries.firstIndex(where: { $0.name == field }) {
                if case .list(let old) = entries[index].value, case .list(let new) = value {
                    entries[index].value = .list(old + new)
                } else {
                    entries[index].value = value
                }
            } else {
                entries.append((field, value))
            }
        }
    }

    struct FieldEncoder: Encoder {
        let sink: Sink
        let field: String?
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy _: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Keyed<Key>(sink: sink))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            sink.set(field, .list([]))
            return List(sink: sink, field: field)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(sink: sink, field: field) }
    }

    /// The text of a scalar, or nil for a value that is not one (encoded further).
    static func text<T>(_ value: T) -> String? {
        switch value {
        case let bool as Bool: return String(bool)
        case let string as String: return string
        case let number as any BinaryInteger: return String(describing: number)
        case let number as Double: return String(number)
        case let number as Float: return String(number)
        default: return nil
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let sink: Sink
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) throws { sink.set(key.stringValue, .absent) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try value.encode(to: FieldEncoder(sink: sink, field: key.stringValue))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy _: NestedKey.Type, forKey _: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Keyed<NestedKey>(sink: sink))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            sink.set(key.stringValue, .list([]))
            return List(sink: sink, field: key.stringValue)
        }
        mutating func superEncoder() -> any Encoder { FieldEncoder(sink: sink, field: nil) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { FieldEncoder(sink: sink, field: key.stringValue) }
    }

    struct Single: SingleValueEncodingContainer {
        let sink: Sink
        let field: String?
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil() throws { sink.set(field, .absent) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            if let bool = value as? Bool {
                sink.set(field, .flag(bool))
            } else if let text = ArgumentsEncoder.text(value) {
                sink.set(field, .text(text))
            } else {
                try value.encode(to: FieldEncoder(sink: sink, field: field))
            }
        }
    }

    struct List: UnkeyedEncodingContainer {
        let sink: Sink
        let field: String?
        var codingPath: [any CodingKey] { [] }
        var count = 0
        mutating func encodeNil() throws { preconditionFailure("an option list holds no nulls") }
        mutating func encode<T: Encodable>(_ value: T) throws {
            count += 1
            if let text = ArgumentsEncoder.text(value) {
                sink.set(field, .list([text]))
            } else {
                // A string enum element encodes its raw value through a single value container.
                let inner = Sink()
                try value.encode(to: FieldEncoder(sink: inner, field: "element"))
                guard case .text(let text)? = inner.entries.first?.value else { preconditionFailure("an option list holds scalars only") }
                sink.set(field, .list([text]))
            }
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy _: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            preconditionFailure("an option list holds scalars only")
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { preconditionFailure("an option list holds scalars only") }
        mutating func superEncoder() -> any Encoder { preconditionFailure("an option list holds scalars only") }
    }
}
