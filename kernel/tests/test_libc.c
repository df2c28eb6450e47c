/* In-kernel tests of lib/libc's string functions, the ones husk's own code
 * and mbedTLS (PEM, X.509) call in the kernel build. */
#include <string.h>

#include "core/ktest.h"

KTEST(libc, strstr)
{
	static const char s[] = "-----BEGIN CERTIFICATE-----";

	KEXPECT(t, strstr(s, "BEGIN") == s + 5);
	KEXPECT(t, strstr(s, "") == s);
	KEXPECT(t, strstr(s, "-----") == s);
	KEXPECT(t, strstr(s, "CERTIFICATE-----") == s + 11);
	KEXPECT(t, strstr(s, "CERTIFICATE------") == NULL);
	KEXPECT(t, strstr("", "a") == NULL);
	KEXPECT(t, strstr("aab", "ab") != NULL);
}

KTEST(libc, strncpy)
{
	char b[8];

	memset(b, 'x', sizeof(b));
	KEXPECT(t, strncpy(b, "ab", 6) == b);
	KEXPECT_EQ(t, memcmp(b, "ab\0\0\0\0xx", 8), 0);
	memset(b, 'x', sizeof(b));
	strncpy(b, "abcdefgh", 4);
	KEXPECT_EQ(t, memcmp(b, "abcdxxxx", 8), 0);
}

KTEST(libc, compare_and_search)
{
	KEXPECT(t, strncmp("abc", "abd", 2) == 0);
	KEXPECT(t, strncmp("abc", "abd", 3) < 0);
	KEXPECT(t, strcmp("b", "a") > 0);
	KEXPECT(t, strchr("abc", 'c') != NULL);
	KEXPECT(t, strchr("abc", 'z') == NULL);
	KEXPECT_EQ(t, strnlen("abcdef", 3), 3);
	KEXPECT(t, memchr("ab\0cd", 'c', 5) != NULL);
}
