// libFuzzer entry point: every input goes to InputReplay.run(.users, …) — see Sources/InputReplay.
import Foundation
import InputReplay

let scratch = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()) + "/projector-fuzz-users-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    InputReplay.run(.users, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [], scratch: scratch)
    return 0
}
