// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "rstlab/seq.h"

using namespace rstlab;

TEST(Seq, OrdersAcrossWrapAround) {
  EXPECT_TRUE(seq::lt(0xfffffff0u, 0x10u));
  EXPECT_TRUE(seq::gt(0x10u, 0xfffffff0u));
  EXPECT_FALSE(seq::lt(0x10u, 0xfffffff0u));
  EXPECT_TRUE(seq::le(5u, 5u));
  EXPECT_FALSE(seq::lt(5u, 5u));
}

TEST(Seq, DiffIsSignedDistance) {
  EXPECT_EQ(seq::diff(0x10u, 0xfffffff0u), 0x20);
  EXPECT_EQ(seq::diff(0xfffffff0u, 0x10u), -0x20);
  EXPECT_EQ(seq::relative(5u, 0xfffffffeu), 7u);
}

TEST(Seq, InWindowHandlesWrap) {
  EXPECT_TRUE(seq::in_window(0x5u, 0xfffffff0u, 0x100));
  EXPECT_TRUE(seq::in_window(0xfffffff0u, 0xfffffff0u, 1));
  EXPECT_FALSE(seq::in_window(0xfffffff0u + 0x100, 0xfffffff0u, 0x100));
  EXPECT_FALSE(seq::in_window(0xffffffefu, 0xfffffff0u, 0x100));
}
