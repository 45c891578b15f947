// C interop for OpenBLAS (CBLAS) and LAPACKE.
//
// Swift imports these headers directly; the only thing it cannot import is a macro, so the few
// macro values Swift code needs are exposed here as `static inline` functions. Everything else
// (cblas_sgemm, LAPACKE_spotrf, …) is imported as is and wrapped in the LinearAlgebra module.
#ifndef PROJECTOR_CLINEARALGEBRA_SHIM_H
#define PROJECTOR_CLINEARALGEBRA_SHIM_H

#include <cblas.h>
#include <lapacke.h>

/// LAPACK_ROW_MAJOR / LAPACK_COL_MAJOR are macros.
static inline int projector_lapack_row_major(void) { return LAPACK_ROW_MAJOR; }
static inline int projector_lapack_col_major(void) { return LAPACK_COL_MAJOR; }

/// OpenBLAS's (pthreads build) stop for its worker pool; exported by libopenblas but in no
/// header. It joins the idle workers; the next threaded BLAS call starts them again. Used by
/// `Parallel.stopIdleBLASPool()` (see there for why).
int blas_thread_shutdown_(void);

/// OpenBLAS's (DYNAMIC_ARCH build) choice of kernels: `gotoblas_dynamic_quit` forgets the core
/// chosen when the library loaded and `gotoblas_dynamic_init` chooses again — from
/// OPENBLAS_CORETYPE when it is set, else from CPUID — and sets that core's blocking parameters.
/// Exported by libopenblas (they are what its load-time constructor runs) but in no header. Used
/// once by `BLASCore.chooseOnce()`, before any BLAS call, when OpenBLAS did not recognise the CPU
/// (see there for why).
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);

#endif
