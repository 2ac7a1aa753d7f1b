/* libpcap through its pkg-config file (`libpcap`). */
#ifndef SASHA_CPCAP_SHIM_H
#define SASHA_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
