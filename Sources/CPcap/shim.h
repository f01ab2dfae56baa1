#ifndef VIGIL_CPCAP_SHIM_H
#define VIGIL_CPCAP_SHIM_H
// libpcap, seen by VigilCapture only.
#include <pcap/pcap.h>
// __fsetlocking: the capture FILE is read by one thread, so stdio's per-call lock is waste.
#include <stdio_ext.h>
#endif
