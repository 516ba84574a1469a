/* Non-fatal test assertions: CHECK counts and reports every failure, the test exits nonzero if any failed. */
#pragma once
#include <stdio.h>

static int nfail = 0;
#define CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      nfail++; \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__); \
      printf("\n"); \
    } \
  } while (0)
