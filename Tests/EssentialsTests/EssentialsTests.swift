import Essentials
import Foundation
import Testing
import LinearAlgebra
import TestSupport

struct EssentialsTests {
    @Test func kthLargestAgreesWithSorting() {
        var generator = SeededGenerator(seed: 1)
        for trial in 0..<300 {
            let count = 1 + trial % 40
            // Few distinct values: many ties.
            let values = (0..<count).map { _ in Float(Int.random(in: 0...(trial % 5 + 1), using: &generator)) - 1.5 }
            let sorted = values.sorted(by: >)
            for k in 1...count {
                var copy = values
                #expect(kthLargest(&copy, k: k) == sorted[k - 1], "\(values), k \(k)")
                #expect(copy.sorted(by: >) == sorted)
            }
        }
    }

    @Test func digestsMatchKnownValues() throws {
        #expect(Digest.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.md5(Data("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        let path = scratchPath("digest.txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        let file = try Digest.sha256(file: path)
        #expect(file.hex == Digest.sha256("abc") && file.size == 3)
        #expect(throws: ProjectorFailure.self) { try Digest.sha256(file: path + ".missing") }
    }

    @Test(arguments: [
        ("movielens-1m", true), ("a.b_c-9", true), ("", false), (".hidden", false), ("..", false), ("../x", false),
        ("a/b", false), ("a b", false), ("x@y", false), ("é", false), (String(repeating: "a", count: 100), true),
        (String(repeating: "a", count: 101), false),
    ])
    func plainNames(name: String, plain: Bool) {
        #expect((PlainName.problem(name) == nil) == plain, "\(name)")
    }

    @Test func plainNameErrorsSayWhatAndWhy() {
        #expect(throws: ProjectorFailure(.badInput, "alias '../x' is not a plain name: use 1–100 letters, digits, '.', '_' and '-', not starting with '.'")) {
            try PlainName.check("../x", what: "alias")
        }
    }

    @Test func atomicWritesReplaceWholeFilesAndLeaveNoTemporaries() throws {
        let folder = scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("f.json").path
        try AtomicFile.write(Data("one".utf8), to: path)
        try AtomicFile.write(Data("two".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        struct Boom: Error {}
        #expect(throws: Boom.self) { try AtomicFile.replace(path) { temporary in
            try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
            throw Boom()
        } }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["f.json"])
        #expect(throws: ProjectorFailure.self) { try AtomicFile.write(Data(), to: folder.path + "/missing/f.json") }
    }

    @Test func aHeldLockIsReportedBusyWithItsHolder() throws {
        let path = scratchPath("lock")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileLock.withLock(path) {
            // flock locks belong to open file descriptions: a second open in this process conflicts too.
            do {
                _ = try FileLock.withLock(path, blocking: false) { Issue.record("a held lock was taken twice") }
            } catch let error as ProjectorFailure {
                #expect(error.kind == .busy && error.message.contains("held by process \(getpid())"))
            }
        }
        #expect(try FileLock.withLock(path, blocking: false) { 7 } == 7)
    }

    @Test func topKIsPartialSelectionWithTiesToTheLowerIndex() {
        #expect(topK([0.1, 0.9, 0.5, 0.9], k: 2) == [1, 3])
        #expect(topK([1, 1, 1, 1], k: 3) == [0, 1, 2])
        #expect(topK([-.infinity, 2, -.infinity, 1], k: 3) == [1, 3])
        var rng = SeededGenerator(seed: 2)
        let scores = (0..<500).map { _ in Float(Int.random(in: 0..<50, using: &rng)) }
        let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(20)
        #expect(topK(scores, k: 20) == Array(expected))
    }

    @Test func jsonIsValidForAnyString() throws {
        struct Line: Codable, Equatable { var path: String }
        let tricky = Line(path: "a\"b\\c\n/d é")
        let text = JSON.line(tricky)
        #expect(try JSONDecoder().decode(Line.self, from: Data(text.utf8)) == tricky)
        #expect(throws: ProjectorFailure.self) { try JSON.decode(Line.self, from: Data("{}".utf8), source: "x.json") }
    }

    @Test func exitCodesComeFromTheErrorType() {
        struct Other: Error {}
        #expect(StageExitCode.of(ProjectorFailure(.qualityGate, "x")) == .qualityGateRefused)
        #expect(StageExitCode.of(ProjectorFailure(.busy, "x")) == .busy)
        #expect(StageExitCode.of(Other()) == .failure)
    }

    @Test func parallelMapKeepsOrderAndRethrows() throws {
        #expect(try Parallel.map(100) { $0 * $0 } == (0..<100).map { $0 * $0 })
        struct Boom: Error {}
        #expect(throws: Boom.self) { try Parallel.map(10) { index -> Int in if index == 6 { throw Boom() }; return index } }
        #expect(Parallel.ranges(10, parts: 3) == [0..<3, 3..<6, 6..<10])
        #expect(Parallel.ranges(2, parts: 5) == [0..<1, 1..<2])
    }
}

/// `Lockstep.pair` on its own: the two parties run at once on two threads, and every exchange
/// hands each the other's value of the same step.
struct LockstepTests {
    @Test func partiesRunTogetherAndSeeEachOthersSteps() {
        let steps = 10_000
        let seen = UnsafeMutablePointer<Double>.allocate(capacity: 2 * steps)
        let threads = UnsafeMutablePointer<pthread_t>.allocate(capacity: 2)
        defer { seen.deallocate(); threads.deallocate() }
        let ran = Lockstep.pair { channel in
            threads[channel.party] = pthread_self()
            for step in 0..<steps {
                let mine = SIMD2(Double(channel.party), Double(step * (channel.party + 2)))
                let other = channel.exchange(mine)
                seen[channel.party * steps + step] = other[0] * 1e6 + other[1]
            }
        }
        #expect(ran)
        #expect(pthread_equal(threads[0], threads[1]) == 0, "party 1 ran on the calling thread")
        for step in 0..<steps {
            // Party 0 saw party 1's value of the same step (1, 3·step), party 1 saw party 0's (0, 2·step).
            #expect(seen[step] == 1e6 + Double(3 * step))
            #expect(seen[steps + step] == Double(2 * step))
        }
    }

    /// A patient exchange whose other party comes 200 ms later blocks until it comes (a few
    /// context switches), instead of waking up thousands of times to look — on a busy machine
    /// those wake-ups take time from the thread doing the work. Either party may be the one waiting.
    @Test(arguments: [0, 1]) func aPatientWaitBlocksUntilTheOtherComes(waiting: Int) {
        let seen = UnsafeMutablePointer<SIMD2<Double>>.allocate(capacity: 2)
        let switches = UnsafeMutablePointer<Int>.allocate(capacity: 1), busy = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        defer { seen.deallocate(); switches.deallocate(); busy.deallocate() }
        let ran = Lockstep.pair { channel in
            let mine = SIMD2(Double(channel.party), 10)
            if channel.party == waiting {
                // RUSAGE_THREAD (1, Linux): glibc declares it only under _GNU_SOURCE, which Swift does not import.
                let thread = __rusage_who_t(1)
                var before = rusage(), after = rusage()
                getrusage(thread, &before)
                seen[channel.party] = channel.exchange(mine, patient: true)
                getrusage(thread, &after)
                switches.pointee = after.ru_nvcsw - before.ru_nvcsw
                func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }
                busy.pointee = seconds(after.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_utime) - seconds(before.ru_stime)
            } else {
                usleep(200_000)
                seen[channel.party] = channel.exchange(mine, patient: true)
            }
        }
        #expect(ran)
        guard ran else { return }
        #expect(seen[0] == SIMD2(1, 10) && seen[1] == SIMD2(0, 10))
        // Blocked, not polling (thousands of sleeps), spinning or yielding (CPU time all along).
        #expect(switches.pointee <= 10, "the waiting party woke up \(switches.pointee) times")
        #expect(busy.pointee < 0.05, "the waiting party used \(busy.pointee) s of CPU in a 0.2 s wait")
    }

    /// Patient exchanges back to back, one party now and then a little late (0.3 ms): every
    /// parked party is woken (a lost wake-up would show as a wait that ended unwoken, after 50 ms)
    /// and each sees the other's step.
    @Test(.timeLimit(.minutes(1))) func patientExchangesLoseNoWakeUp() {
        let steps = 3_000
        let seen = UnsafeMutablePointer<Double>.allocate(capacity: 2 * steps)
        let unwoken = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { seen.deallocate(); unwoken.deallocate() }
        let ran = Lockstep.pair { channel in
            for step in 0..<steps {
                if step % 97 == channel.party * 50 { usleep(300) }
                let other = channel.exchange(SIMD2(Double(step), Double(channel.party)), patient: true)
                seen[channel.party * steps + step] = other[0] * 10 + other[1]
            }
            unwoken[channel.party] = channel.unwokenWaits
        }
        #expect(ran)
        guard ran else { return }
        // ~60 late steps: a broken wake would leave ~60 waits unwoken; 2 allow for a descheduled thread.
        #expect(unwoken[0] + unwoken[1] <= 2, "\(unwoken[0] + unwoken[1]) waits ended unwoken")
        // Party 0 saw party 1's (step, 1), party 1 saw party 0's (step, 0).
        for step in 0..<steps { #expect(seen[step] == Double(step * 10 + 1) && seen[steps + step] == Double(step * 10)) }
    }
}
