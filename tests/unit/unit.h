/* Minimal unit-test harness shared by tests/unit/test_*.c.
 * Each test file defines tests with TEST(name) and lists them in main via
 * RUN(name); the process exits non-zero when any check failed.
 * Not for fixtures or process helpers: keep those in the test files. */
#ifndef PIDCAP_UNIT_H
#define PIDCAP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_tests_passed, unit_tests_failed;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
			unit_failed_checks++;                              \
		}                                                          \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                 \
	do {                                                               \
		long long _a = (long long)(a), _b = (long long)(b);        \
		if (_a != _b) {                                            \
			fprintf(stderr, "%s:%d: %s == %lld, want %lld\n",  \
				__FILE__, __LINE__, #a, _a, _b);           \
			unit_failed_checks++;                              \
		}                                                          \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                 \
	do {                                                               \
		const char *_a = (a), *_b = (b);                           \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                   \
			fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #a, _a ? _a : "(null)", \
				_b ? _b : "(null)");                       \
			unit_failed_checks++;                              \
		}                                                          \
	} while (0)

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                          \
	do {                                                               \
		int _before = unit_failed_checks;                          \
		test_##name();                                             \
		if (unit_failed_checks == _before) {                       \
			unit_tests_passed++;                               \
		} else {                                                   \
			unit_tests_failed++;                               \
			fprintf(stderr, "FAIL %s\n", #name);               \
		}                                                          \
	} while (0)

/* Last line of every test binary: "N passed, N failed", parsed by
 * tests/run-unit.sh. */
#define UNIT_DONE()                                                        \
	(printf("%d passed, %d failed\n", unit_tests_passed,               \
		unit_tests_failed),                                        \
	 unit_tests_failed ? 1 : 0)

#endif
