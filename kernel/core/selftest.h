/* Boot-time known-answer self-tests of the cryptography husk links. */
#ifndef HUSK_CORE_SELFTEST_H
#define HUSK_CORE_SELFTEST_H

/* Wires mbedTLS to kmalloc, runs every crypto self-test, logs each result.
 * HUSK_OK only if all passed. */
int selftest_crypto(void);

#endif
