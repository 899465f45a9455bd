#ifndef LEVEE_CGPIOD_SHIM_H
#define LEVEE_CGPIOD_SHIM_H
// libgpiod 1.6 (the v1 API) as shipped by Debian 12. No macros are needed from Swift, so the shim only includes it.
#include <gpiod.h>
#include <errno.h>

// errno is a macro (a thread-local lvalue) in glibc; read it through a function so Swift gets it at once.
static inline int levee_gpiod_errno(void) { return errno; }

#endif
