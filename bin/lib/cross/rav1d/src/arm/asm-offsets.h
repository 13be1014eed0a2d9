/*
 * Field offsets that rav1d 1.1.0's aarch64 assembly (src/arm/64/refmvs.S, filmgrain.S,
 * filmgrain16.S) includes as "src/arm/asm-offsets.h". The published crate leaves every
 * *.h out of its package (Cargo.toml `exclude = ["*.h", ...]`), so an aarch64 build with
 * its assembly fails. bin/package puts this directory on the C include path
 * (CFLAGS_aarch64_unknown_linux_gnu=-I ...).
 *
 * Written for this project from the #[repr(C)] structs of rav1d 1.1.0 on an LP64 target
 * (aarch64: pointers and isize 8 bytes, c_int 4, u64 aligned to 8). Checked against rav1d's
 * types by handler/tests/rav1d_asm_offsets.rs (cargo test); see README.md beside this
 * directory. bin/package refuses a Cargo.lock with another rav1d version until this is
 * re-checked.
 */
#ifndef IMAGE_SERVICE_RAV1D_ARM_ASM_OFFSETS_H
#define IMAGE_SERVICE_RAV1D_ARM_ASM_OFFSETS_H

/* include/dav1d/headers.rs: Dav1dFilmGrainData (#[repr(C)], align 16) */
#define FGD_SEED                      0   /* seed: c_uint */
#define FGD_SCALING_SHIFT            88   /* after num_y_points 4, y_points [[u8;2];14] 8, chroma_scaling_from_luma 36, num_uv_points 40, uv_points [[[u8;2];10];2] 48 */
#define FGD_AR_COEFF_LAG             92
#define FGD_AR_COEFFS_Y              96   /* [i8; 24] */
#define FGD_AR_COEFFS_UV            120   /* [[i8; 28]; 2] */
#define FGD_AR_COEFF_SHIFT          176   /* u64 */
#define FGD_GRAIN_SCALE_SHIFT       184
#define FGD_UV_MULT                 188   /* [c_int; 2] */
#define FGD_UV_LUMA_MULT            196   /* [c_int; 2] */
#define FGD_UV_OFFSET               204   /* [c_int; 2]; then overlap_flag 212 */
#define FGD_CLIP_TO_RESTRICTED_RANGE 216

/* src/refmvs.rs: AsmRefMvsFrame (#[repr(C)]; the C refmvs_frame) */
#define RMVSF_IW8                    16   /* after frm_hdr pointer 0, iw4 8, ih4 12; ih8 follows at 20 */
#define RMVSF_MFMV_REF               53   /* sbsz 24, use_ref_frame_mvs 28, sign_bias [u8;7] 32, mfmv_sign 39, pocdiff 46 */
#define RMVSF_MFMV_REF2CUR           56   /* [i32; 3] */
#define RMVSF_MFMV_REF2REF           68   /* [[i32; 7]; 3] */
#define RMVSF_N_MFMVS               152   /* then n_blocks 156, rp 160 */
#define RMVSF_RP_REF                168
#define RMVSF_RP_PROJ               176
#define RMVSF_RP_STRIDE             184   /* isize; then r 192 */
#define RMVSF_N_TILE_THREADS        200

#endif
