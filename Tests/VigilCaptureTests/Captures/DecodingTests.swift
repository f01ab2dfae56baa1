import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Decoding pieces")
struct DecodingTests {
    @Test(arguments: [
        (UInt64(0x2001_0db8_0000_0000), UInt64(1), "2001:db8::1"),
        (UInt64(0), UInt64(1), "::1"),
        (UInt64(0), UInt64(0), "::"),
        (UInt64(0xfe80_0000_0000_0000), UInt64(0x0200_5eff_fe00_5301), "fe80::200:5eff:fe00:5301"),
        (UInt64(0x2001_0db8_0000_0001), UInt64(0x0000_0000_0001_0001), "2001:db8:0:1::1:1"),
        (UInt64(0x2001_0db8_0001_0001), UInt64(0x0001_0001_0001_0001), "2001:db8:1:1:1:1:1:1"),
    ])
    func ipv6Text(high: UInt64, low: UInt64, text: String) {
        #expect(IPAddress(v6: high, low).text == text)
    }

    @Test func ipv4Text() {
        #expect(IPAddress(v4: 0xC0A8_0114).text == "192.168.1.20")
    }

    @Test func magicNumbers() {
        #expect(CaptureFormat.detect(magic: [0xD4, 0xC3, 0xB2, 0xA1]) == .pcap)
        #expect(CaptureFormat.detect(magic: [0xA1, 0xB2, 0xC3, 0xD4]) == .pcap)
        #expect(CaptureFormat.detect(magic: [0x4D, 0x3C, 0xB2, 0xA1]) == .pcap)
        #expect(CaptureFormat.detect(magic: [0x0A, 0x0D, 0x0D, 0x0A]) == .pcapng)
        #expect(CaptureFormat.detect(magic: [0x0A, 0x0D, 0x0D]) == nil)
        #expect(CaptureFormat.detect(magic: Array("GET ".utf8)) == nil)
    }

    @Test func ethernetPaddingIsNotPayload() {
        // A minimum-size frame: IPv4 total length 40 (no TCP payload), padded with 6 zero bytes.
        var frame: [UInt8] = Array(repeating: 0, count: 12) + [0x08, 0x00]
        frame += [0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        frame += [0x9c, 0x40, 0, 21, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]
        frame += Array(repeating: 0, count: 6)
        let packet = frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: LinkType.ethernet)?.payload.count }
        #expect(packet == 0)
    }

    @Test func fragmentsAndShortHeadersAreSkipped() {
        var fragment: [UInt8] = [0x45, 0, 0, 28, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        fragment += [0, 53, 0, 53, 0, 8, 0, 0]
        #expect(fragment.withUnsafeBytes { PacketDecoder.decode($0, linkType: LinkType.raw) } == nil)
        let short: [UInt8] = [0x45, 0, 0]
        #expect(short.withUnsafeBytes { PacketDecoder.decode($0, linkType: LinkType.raw) } == nil)
    }
}
