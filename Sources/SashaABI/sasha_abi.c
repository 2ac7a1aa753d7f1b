/*
 * SashaABI has no code; this file pins the layout of the types that cross the plugin boundary, so a
 * change that would silently break plugins built earlier fails the build instead.
 */
#include "sasha_abi.h"

_Static_assert(sizeof(sasha_server) == 24, "sasha_server layout is part of ABI version 1");
_Static_assert(sizeof(sasha_flow) == 24, "sasha_flow layout is part of ABI version 1");
_Static_assert(sizeof(sasha_connection) == 24, "sasha_connection layout is part of ABI version 1");
_Static_assert(sizeof(sasha_error) == 640, "sasha_error layout is part of ABI version 1");
