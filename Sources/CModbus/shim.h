#ifndef LEVEE_CMODBUS_SHIM_H
#define LEVEE_CMODBUS_SHIM_H
#include <modbus/modbus.h>
#include <errno.h>

// libmodbus's EMB* error codes are macros built from an expression, which Swift cannot import: re-export them.
static const int levee_EMBXILFUN = EMBXILFUN;
static const int levee_EMBXILADD = EMBXILADD;
static const int levee_EMBXILVAL = EMBXILVAL;
static const int levee_EMBXSFAIL = EMBXSFAIL;
static const int levee_EMBXACK = EMBXACK;
static const int levee_EMBXSBUSY = EMBXSBUSY;
static const int levee_EMBXNACK = EMBXNACK;
static const int levee_EMBXMEMPAR = EMBXMEMPAR;
static const int levee_EMBXGPATH = EMBXGPATH;
static const int levee_EMBXGTAR = EMBXGTAR;
static const int levee_EMBBADCRC = EMBBADCRC;
static const int levee_EMBBADDATA = EMBBADDATA;
static const int levee_EMBBADEXC = EMBBADEXC;
static const int levee_EMBMDATA = EMBMDATA;
static const int levee_EMBBADSLAVE = EMBBADSLAVE;

// errno is a macro (a thread-local lvalue) in glibc; read it through a function so Swift gets it at once.
static inline int levee_errno(void) { return errno; }

#endif
