/* Error reporting shared by every part of lib/snp: a husk_err code plus one
 * human-readable line saying what exactly was wrong with the input.
 *
 * Every lib/snp function that can fail takes an optional struct snp_error *
 * (NULL when the caller only wants the code) and returns the same code it
 * stores there, so `husk-*` tools and tests can print the reason while
 * kernel code just checks the return value. */
#ifndef HUSK_SNP_ERROR_H
#define HUSK_SNP_ERROR_H

#define SNP_ERROR_MSG_MAX 160u

struct snp_error {
	int code;                       /* enum husk_err; equals the function's return value */
	char message[SNP_ERROR_MSG_MAX]; /* NUL-terminated, one line, empty on success */
};

#endif
