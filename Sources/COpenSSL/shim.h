#ifndef VIGIL_COPENSSL_SHIM_H
#define VIGIL_COPENSSL_SHIM_H
// OpenSSL's libcrypto, seen by VigilCrypto only. Function-like macros that Swift cannot import
// are re-exposed here as static inline functions.
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/hmac.h>

/// ERR_get_error() wrapped so the error queue can be drained and described from Swift.
static inline unsigned long vigil_err_get_error(void) { return ERR_get_error(); }

/// EVP_EC_gen is a macro over a variadic call: an ECDSA P-256 key.
static inline EVP_PKEY *vigil_ec_p256_generate(void) { return EVP_EC_gen("P-256"); }

/// BIO_get_mem_data is a macro: the bytes a memory BIO holds.
static inline long vigil_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

/// XN_FLAG_ONELINE is a composite macro Swift does not import.
static inline unsigned long vigil_name_flags(void) { return XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB; }

/// OPENSSL_free is a macro.
static inline void vigil_openssl_free(void *pointer) { OPENSSL_free(pointer); }

/// The flags CMS signing and verification use, as the unsigned int the functions take.
static inline unsigned int vigil_cms_sign_flags(void) { return CMS_BINARY | CMS_DETACHED; }
static inline unsigned int vigil_cms_verify_flags(void) { return CMS_BINARY; }
/// Signature only, the signer certificate's chain not checked (when no CA is at hand).
static inline unsigned int vigil_cms_verify_signature_only_flags(void) {
    return CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY;
}
/// The checks of a timestamp response over its data: version, signature, the TSA's certificate
/// chain and purpose, and the imprint of the data.
static inline unsigned int vigil_ts_verify_flags(void) {
    return TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_DATA;
}
/// EXTENDED_KEY_USAGE (a stack of ASN1_OBJECT) from X509_get_ext_d2i, freed with its objects.
static inline void vigil_eku_free(void *usages) { EXTENDED_KEY_USAGE_free((EXTENDED_KEY_USAGE *)usages); }
#endif
