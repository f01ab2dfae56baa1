#ifndef VIGIL_CPCAP_SHIM_H
#define VIGIL_CPCAP_SHIM_H
// libpcap, seen by VigilCapture only.
#include <pcap/pcap.h>
#endif
