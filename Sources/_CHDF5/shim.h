// C interop for libhdf5.
//
// HDF5's constants are C macros, many of which expand to a call (`H5OPEN H5T_NATIVE_FLOAT_g`)
// that Swift cannot import. Each one Projector uses is wrapped here in a `static inline`
// function so Swift sees an ordinary C function; the HDF5 Swift module is the only caller.
#ifndef PROJECTOR_CHDF5_SHIM_H
#define PROJECTOR_CHDF5_SHIM_H

#include <hdf5.h>

static inline hid_t projector_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t projector_H5S_ALL(void) { return H5S_ALL; }
static inline hsize_t projector_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }

static inline unsigned projector_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned projector_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned projector_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned projector_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned projector_H5F_OBJ_ALL(void) { return H5F_OBJ_ALL; }

static inline hid_t projector_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t projector_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t projector_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t projector_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t projector_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }

static inline hid_t projector_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t projector_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t projector_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t projector_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t projector_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t projector_H5T_C_S1(void) { return H5T_C_S1; }
/// Little-endian IEEE/standard types: what files are written with, so they read the same anywhere.
static inline hid_t projector_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t projector_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t projector_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t projector_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t projector_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline size_t projector_H5T_VARIABLE(void) { return H5T_VARIABLE; }

/// Turns off HDF5's automatic printing of its error stack (we turn the stack into Swift errors).
static inline void projector_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline hid_t projector_H5E_DEFAULT(void) { return H5E_DEFAULT; }

#endif
