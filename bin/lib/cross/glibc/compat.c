/*
 * Keeps the Lambda package within Amazon Linux 2023's glibc 2.34.
 *
 * Debian 12's aarch64 cross libc is 2.36. A call links to the newest version of a symbol,
 * and glibc 2.35 gave hypotf a new one (hypotf@@GLIBC_2.35, a faster implementation; the
 * old hypotf@GLIBC_2.17 is still exported). f32::hypot (our ops/pixel/lab.rs, moxcms) would
 * then make the binary need glibc 2.35 and fail to start on Lambda.
 * bin/package links with -Wl,--wrap=hypotf and this object: every call goes to
 * __wrap_hypotf, which calls the 2.17 version. bin/package's glibc check catches any
 * other symbol newer than 2.34; wrap it here the same way.
 */
float image_service_hypotf_2_17(float x, float y);
__asm__(".symver image_service_hypotf_2_17, hypotf@GLIBC_2.17");

float __wrap_hypotf(float x, float y) {
  return image_service_hypotf_2_17(x, y);
}
