import Foundation
import _CKernels
import _CLinearAlgebra

/// Which of OpenBLAS's kernels run, chosen once per process before the first BLAS call
/// (`Parallel`'s set-up calls `chooseOnce()`).
///
/// OpenBLAS picks its kernels from CPUID when the library loads, from a table of CPU models
/// known when it was released. A newer CPU it does not know falls back to a generic core: on
/// the project's 2-core VMs (Intel family 6 model 207, AVX-512 and FMA present) Debian's
/// OpenBLAS 0.3.21 runs its *Prescott* (SSE3) kernels — sgemm 35–73 GFLOP/s on two threads
/// against 262 with the SkylakeX kernels the CPU can run, the same binary minutes apart (EASE's
/// inverse on ML-1M 4.6 → 2.3 s). numpy's own OpenBLAS (0.3.31) recognises the same CPU, so
/// without this the peers ran on the right kernels and Projector did not. A machine of the
/// project's kind then computes different bytes (kernels sum in different orders) and at a
/// different speed depending only on how new its OpenBLAS is.
///
/// So when OpenBLAS has fallen back to one of the generic Intel cores while the CPU has the
/// instructions of a better one, the core is chosen again: SkylakeX with AVX-512 (F, BW, VL,
/// DQ, CD), else Haswell with AVX2 and FMA — the kernels a current OpenBLAS uses for these CPUs.
/// `OPENBLAS_CORETYPE`, when set, is OpenBLAS's and the user's choice and is left alone (set it
/// to `Prescott` for the old behaviour); when Projector chooses, it sets the variable too, so the
/// processes it starts (the pipeline's stages) load with the same core.
///
///     BLASCore.chooseOnce()     // before any BLAS call; Parallel's set-up does it
///     BLASCore.current          // "SkylakeX"
public enum BLASCore {
    /// The core OpenBLAS runs, as OpenBLAS names it (`Haswell`, `SkylakeX`, `Prescott`, …).
    public static var current: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// What `chooseOnce()` did, for a bench or a run record to print.
    public enum Choice: Equatable, Sendable {
        /// OpenBLAS's own choice was kept (it recognised the CPU, or no better core fits it).
        case kept(String)
        /// `OPENBLAS_CORETYPE` was set before the process started.
        case setByEnvironment(String)
        /// OpenBLAS had fallen back to `from`; Projector chose `to`.
        case replaced(from: String, to: String)
    }

    /// OpenBLAS's generic Intel cores: what it falls back to for a family-6 model it does not
    /// know. None of them has AVX2 kernels.
    static let fallbackCores: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2",
        "penryn", "dunnington", "nehalem", "sandybridge",
    ]

    /// The core this CPU should run, from its instructions (nil: no better core than any).
    static var fittingCore: String? {
        if projector_cpu_has_avx512_skylakex() == 1 { return "SkylakeX" }
        if projector_cpu_has_avx2_fma() == 1 { return "Haswell" }
        return nil
    }

    /// The choice, made on first use (thread-safe: Swift runs a static's initialiser once).
    public static let choice: Choice = {
        let loaded = current
        if let set = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !set.isEmpty {
            return .setByEnvironment(loaded)
        }
        guard fallbackCores.contains(loaded.lowercased()), let better = fittingCore else { return .kept(loaded) }
        /// OpenBLAS chooses again, from OPENBLAS_CORETYPE (`core`) or, unset, from CPUID.
        func reload(_ core: String?) {
            if let core { setenv("OPENBLAS_CORETYPE", core, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
            gotoblas_dynamic_quit()
            gotoblas_dynamic_init()
        }
        reload(better)
        let now = current
        guard now.lowercased() == better.lowercased() else {
            // A build without that core falls back by itself (possibly lower than it loaded):
            // undo, and keep what OpenBLAS chose at load.
            reload(nil)
            return .kept(current)
        }
        return .replaced(from: loaded, to: now)
    }()

    /// Makes the choice (once; later calls do nothing). Must run before the process's first
    /// BLAS or LAPACK call, while no other thread makes one.
    public static func chooseOnce() { _ = choice }
}
