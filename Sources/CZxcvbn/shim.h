#ifndef VIGIL_CZXCVBN_SHIM_H
#define VIGIL_CZXCVBN_SHIM_H
// zxcvbn-c (Debian's libzxcvbn-dev), seen by VigilRules only. Built without a dictionary file:
// the dictionaries are compiled into the library, ZxcvbnInit is a macro and not needed.
#include <zxcvbn.h>
#endif
