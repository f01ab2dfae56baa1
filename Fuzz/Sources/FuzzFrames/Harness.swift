import FuzzSupport
import VigilCore

@testable import VigilCapture

/// Raw frames behind each link type Vigil decodes (and one it does not): the first byte picks the
/// link type, then each frame is a 16-bit little-endian length and that many bytes. Covers the
/// link, IP (v4 options and fragments, v6 extension headers) and transport decoders, IPv4
/// reassembly, the device observer, TCP reassembly and the dissectors behind them.
enum Harness {
    static let linkTypes: [Int32] = [
        LinkType.ethernet, LinkType.null, LinkType.rawLinux, LinkType.rawOpenBSD, LinkType.raw, LinkType.loop,
        LinkType.linuxSLL, LinkType.ipv4, LinkType.ipv6, LinkType.linuxSLL2, 147,
    ]

    static func run(_ input: FuzzBytes) {
        var input = input
        let linkType = linkTypes[Int(input.byte()) % linkTypes.count]
        let limits = CaptureLimits(maxFlows: 16, maxHeldBytesPerDirection: 2048, probeBytes: 512)
        let analyzer = PacketAnalyzer(path: "fuzz", limits: limits)
        var events: [Event] = []
        var number = 0
        var time: Int64 = 1_700_000_000
        while !input.isEmpty {
            let length = input.u16()
            let frame = input.take(length)
            number += 1
            time += 1
            analyzer.analyse(frame, linkType: linkType, number: number, time: Timestamp(seconds: time), into: &events)
            events.removeAll(keepingCapacity: true)
        }
        _ = analyzer.finish(into: &events)
    }
}
