/*
 * SashaABI's one object: the ABI stamp below, and checks that pin the layout of the types that
 * cross the plugin boundary, so a change that would silently break plugins built earlier fails
 * the build instead.
 */
#include "sasha_abi.h"

/*
 * Every image that links SashaABI (the host, and each plugin through SashaSDK) carries this stamp
 * under the exported name SASHA_PLUGIN_STAMP_SYMBOL. __clang_version__ names the exact toolchain
 * (Swift's clang carries its llvm-project revision), so host and plugin compare toolchains
 * without running any plugin code.
 */
__attribute__((visibility("default"))) const sasha_plugin_stamp sasha_plugin_abi_stamp = {
    .struct_size = sizeof(sasha_plugin_stamp),
    .abi_version = SASHA_ABI_VERSION,
    .toolchain = "clang " __clang_version__,
};

_Static_assert(sizeof(sasha_server) == 24, "sasha_server layout is part of ABI version 1");
_Static_assert(sizeof(sasha_flow) == 24, "sasha_flow layout is part of ABI version 1");
_Static_assert(sizeof(sasha_connection) == 24, "sasha_connection layout is part of ABI version 1");
_Static_assert(sizeof(sasha_plugin_stamp) == 128, "sasha_plugin_stamp layout is part of ABI version 1");
_Static_assert(sizeof(sasha_error) == 640, "sasha_error layout is part of ABI version 1");
