/* libnet 1.1.6 has no pkg-config file and needs these defines before its header (see DESIGN.md);
   a SwiftPM system library target takes no C settings, so they live here. */
#ifndef SASHA_CLIBNET_SHIM_H
#define SASHA_CLIBNET_SHIM_H
#define _DEFAULT_SOURCE 1 /* keeps glibc from warning that _BSD_SOURCE is deprecated */
#define _BSD_SOURCE 1
#define __BSD_SOURCE 1
#define __FAVOR_BSD 1
#define HAVE_NET_ETHERNET_H 1
#include <libnet.h>
#endif
