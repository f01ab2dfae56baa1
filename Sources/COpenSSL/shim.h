#ifndef VIGIL_COPENSSL_SHIM_H
#define VIGIL_COPENSSL_SHIM_H
// OpenSSL's libcrypto, seen by VigilCrypto only. Function-like macros that Swift cannot import
// are re-exposed here as static inline functions.
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/crypto.h>

/// ERR_get_error() wrapped so the error queue can be drained and described from Swift.
static inline unsigned long vigil_err_get_error(void) { return ERR_get_error(); }
#endif
