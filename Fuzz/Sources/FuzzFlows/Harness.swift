import FuzzSupport
import VigilCore

@testable import VigilCapture

/// What travels in one TCP connection or UDP exchange, wrapped in well-formed Ethernet/IPv4
/// headers, so that the fuzzer spends its time in TCP reassembly and the protocol dissectors.
///
/// Layout: a byte picks UDP (bit 7) and the server port (every port a dissector knows, and one
/// none does); a byte for the client port; a byte of options (bit 0: no handshake, the capture
/// starts mid-stream). Then segments: a control byte (bit 0 from the server, bit 1 FIN, bit 2
/// RST, bits 3-4 the sequence shift: none, back half the payload, a gap of 50, a
/// retransmission; bit 6 a second length byte; bit 7 an idle gap of 700 s), a length, the payload.
enum Harness {
    static let tcpPorts: [UInt16] = [
        21, 22, 23, 25, 80, 88, 110, 135, 139, 143, 389, 443, 445, 465, 587, 993, 1433, 2121, 3306, 3389, 5432,
        5900, 6379, 8080, 9999,
    ]
    static let udpPorts: [UInt16] = [53, 67, 68, 88, 137, 161, 162, 389, 514, 1900, 5353, 9999]

    static func run(_ input: FuzzBytes) {
        var input = input
        let head = input.byte()
        let udp = head & 0x80 != 0
        let ports = udp ? udpPorts : tcpPorts
        let serverPort = ports[Int(head & 0x7F) % ports.count]
        var builder = FrameBuilder(clientPort: 40_000 + UInt16(input.byte()), serverPort: serverPort)
        let options = input.byte()
        let limits = CaptureLimits(maxFlows: 16, maxHeldBytesPerDirection: 2048, probeBytes: 512)
        let analyzer = PacketAnalyzer(path: "fuzz", limits: limits)
        var events: [Event] = []
        var number = 0
        var time: Int64 = 1_700_000_000_000_000_000
        func send(_ frame: [UInt8]) {
            number += 1
            frame.withUnsafeBytes {
                analyzer.analyse(
                    $0, linkType: LinkType.ethernet, number: number, time: Timestamp(nanoseconds: time), into: &events)
            }
            events.removeAll(keepingCapacity: true)
        }
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        if !udp && options & 1 == 0 {
            send(builder.tcp(fromClient: true, flags: FrameBuilder.tcpSYN, payload: none))
            send(builder.tcp(fromClient: false, flags: FrameBuilder.tcpSYN | FrameBuilder.tcpACK, payload: none))
            send(builder.tcp(fromClient: true, flags: FrameBuilder.tcpACK, payload: none))
        }
        while !input.isEmpty {
            let control = input.byte()
            var length = Int(input.byte())
            if control & 0x40 != 0 { length |= Int(input.byte()) << 8 }
            let payload = input.take(length)
            let fromClient = control & 1 == 0
            time += control & 0x80 != 0 ? 700_000_000_000 : 10_000_000
            if udp {
                send(builder.udp(fromClient: fromClient, payload: payload))
                continue
            }
            var flags = FrameBuilder.tcpACK | FrameBuilder.tcpPSH
            if control & 2 != 0 { flags |= FrameBuilder.tcpFIN }
            if control & 4 != 0 { flags = FrameBuilder.tcpRST | FrameBuilder.tcpACK }
            let shift: Int32
            switch (control >> 3) & 3 {
            case 1: shift = -Int32(payload.count / 2)
            case 2: shift = 50
            case 3: shift = -Int32(payload.count)
            default: shift = 0
            }
            send(builder.tcp(fromClient: fromClient, flags: flags, payload: payload, shift: shift))
        }
        _ = analyzer.finish(into: &events)
    }
}
