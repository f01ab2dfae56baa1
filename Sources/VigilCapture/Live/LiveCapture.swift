internal import CPcap
public import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// What to capture from a live interface.
public struct LiveCaptureOptions: Sendable {
    public var interface: String
    /// A BPF filter expression (`tcp port 21`), compiled by libpcap.
    public var filter: String?
    public var snaplen: Int
    public var promiscuous: Bool
    /// Where to write what was sampled, as pcapng.
    public var writePath: String?

    /// A live capture of `interface` with a BPF `filter`, `snaplen` bytes kept per packet.
    public init(
        interface: String, filter: String? = nil, snaplen: Int = 262_144, promiscuous: Bool = true,
        writePath: String? = nil
    ) {
        self.interface = interface
        self.filter = filter
        self.snaplen = snaplen
        self.promiscuous = promiscuous
        self.writePath = writePath
    }
}

/// Samples a network interface with libpcap (`pcap_create`, `pcap_activate`) and analyses
/// what it sees as it sees it, exactly as a capture file is analysed.
///
/// Not `Sendable`: one capture, one task. The handle is closed in `deinit`.
public final class LiveCapture {
    private let handle: OpaquePointer
    private let options: LiveCaptureOptions
    private let analyzer: PacketAnalyzer
    private let writer: PcapngWriter?
    /// The interface's link-layer header type.
    public let linkType: Int32
    private var packetNumber = 0
    private var lastDrops = (kernel: 0, interface: 0)
    private var warnings: [String] = []

    /// Opens and activates the interface, sets the filter, and opens the output file.
    ///
    /// - Throws: ``VigilError`` naming the interface and the missing privilege, device or filter problem.
    public init(_ options: LiveCaptureOptions, limits: CaptureLimits = CaptureLimits()) throws(VigilError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let name = "capture on \(options.interface)"
        guard let handle = pcap_create(options.interface, &errorBuffer) else {
            throw VigilError(.library, path: name, reason: Self.string(errorBuffer))
        }
        pcap_set_snaplen(handle, Int32(options.snaplen))
        pcap_set_promisc(handle, options.promiscuous ? 1 : 0)
        pcap_set_timeout(handle, 200)
        pcap_set_immediate_mode(handle, 1)
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw Self.activationError(status, interface: options.interface, detail: detail)
        }
        if status > 0 { warnings.append("libpcap: \(String(cString: pcap_statustostr(status)))") }
        if let filter = options.filter {
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let detail = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw VigilError(.usage, path: name, reason: "bad filter '\(filter)': \(detail)")
            }
            let set = pcap_setfilter(handle, &program)
            pcap_freecode(&program)
            guard set == 0 else {
                let detail = String(cString: pcap_geterr(handle))
                pcap_close(handle)
                throw VigilError(.library, path: name, reason: "cannot set the filter: \(detail)")
            }
        }
        // Non-blocking reads and our own poll(): a blocked read could not see the clock or Ctrl-C
        // (on Linux the read timeout is ignored in immediate mode).
        pcap_setnonblock(handle, 1, &errorBuffer)
        let linkType = pcap_datalink(handle)
        var writer: PcapngWriter?
        if let path = options.writePath {
            do {
                writer = try PcapngWriter(
                    path: path, linkType: linkType, snaplen: options.snaplen, interface: options.interface)
            } catch {
                pcap_close(handle)
                throw error
            }
        }
        self.handle = handle
        self.options = options
        self.linkType = linkType
        self.writer = writer
        self.analyzer = PacketAnalyzer(path: "\(options.interface) (live)", limits: limits)
    }

    deinit {
        writer?.flush()
        pcap_close(handle)
    }

    private static func activationError(_ status: Int32, interface: String, detail: String) -> VigilError {
        let name = "capture on \(interface)"
        switch status {
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            return VigilError(
                .unreadable, path: name, reason: "permission denied (\(detail))",
                hint: "capturing needs the CAP_NET_RAW capability, and CAP_NET_ADMIN for promiscuous mode: run as "
                    + "root or grant them with 'setcap cap_net_raw,cap_net_admin+eip vigil'")
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return VigilError(.unreadable, path: name, reason: "no such interface (\(detail))", hint: "see 'ip link'")
        case PCAP_ERROR_IFACE_NOT_UP:
            return VigilError(
                .unreadable, path: name, reason: "the interface is down", hint: "ip link set \(interface) up")
        default:
            return VigilError(.library, path: name, reason: "\(String(cString: pcap_statustostr(status))): \(detail)")
        }
    }

    /// Captures one sample: until `duration` seconds have passed, `count` packets were seen, or
    /// `shouldStop` says so (Ctrl-C), whichever comes first. Events go to `handler` as they complete.
    public func sample(
        index: Int, duration: Double?, count: Int?, shouldStop: () -> Bool, handler: (Event) throws -> Void
    ) throws -> CaptureSample {
        let start = Timestamp.now()
        let deadline = duration.map { start.nanoseconds + Int64($0 * 1e9) }
        var statistics = CaptureSample(
            index: index, start: start, end: start, packets: 0, bytes: 0, kernelDrops: 0, interfaceDrops: 0)
        var events: [Event] = []
        while !shouldStop() {
            if let count, statistics.packets >= count { break }
            if let deadline, Timestamp.now().nanoseconds >= deadline { break }
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            if status == 0 {
                waitForPackets()  // nothing yet: wait a little, then check the clock and the stop flag
                continue
            }
            guard status == 1, let header, let data else {
                warnings.append("capture stopped: \(String(cString: pcap_geterr(handle)))")
                break
            }
            packetNumber += 1
            statistics.packets += 1
            statistics.bytes += Int(header.pointee.len)
            let time = Timestamp(
                seconds: Int64(header.pointee.ts.tv_sec), nanoseconds: Int64(header.pointee.ts.tv_usec) * 1000)
            let bytes = UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen))
            writer?.write(bytes, wireLength: Int(header.pointee.len), time: time)
            analyzer.analyse(bytes, linkType: linkType, number: packetNumber, time: time, into: &events)
            for event in events { try handler(event) }
            events.removeAll(keepingCapacity: true)
        }
        statistics.end = Timestamp.now()
        var counters = pcap_stat()
        if pcap_stats(handle, &counters) == 0 {
            let dropped = Int(counters.ps_drop)
            let interfaceDropped = Int(counters.ps_ifdrop)
            statistics.kernelDrops = dropped - lastDrops.kernel
            statistics.interfaceDrops = interfaceDropped - lastDrops.interface
            lastDrops = (dropped, interfaceDropped)
        }
        writer?.flush()
        return statistics
    }

    /// Reads and discards packets until `deadline` (between samples), so the next sample starts
    /// with fresh traffic rather than what the kernel buffered meanwhile.
    public func skip(until deadline: Timestamp, shouldStop: () -> Bool) {
        while !shouldStop() && Timestamp.now() < deadline {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            if status < 0 { return }
            if status == 0 { waitForPackets() }
        }
    }

    /// Waits up to 100 ms for the capture descriptor to become readable.
    private func waitForPackets() {
        let descriptor = pcap_get_selectable_fd(handle)
        guard descriptor >= 0 else {
            usleep(10_000)
            return
        }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, 100)
    }

    /// Ends the capture: closes open connections (their pending logins are reported) and
    /// returns the input's entry for the report.
    public func finish(samples: [CaptureSample], handler: (Event) throws -> Void) rethrows -> InputReport {
        var events: [Event] = []
        let analysisWarnings = analyzer.finish(into: &events)
        for event in events { try handler(event) }
        writer?.flush()
        var input = InputReport(
            path: "\(options.interface) (live)", kind: "live", packets: packetNumber,
            warnings: warnings + analysisWarnings)
        input.samples = samples
        return input
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
