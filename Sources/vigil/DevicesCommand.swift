public import ArgumentParser
import VigilAudit
import VigilCore
public import VigilReport
import VigilRules

extension DeviceList.Format: ExpressibleByArgument {}

/// `vigil devices PATH… --inventory FILE`: every device seen, managed or not.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract:
            "List every device seen in captures (ARP, DHCP, mDNS, NBNS, LLDP, CDP, NDP, traffic) with vendor, addresses, names, first and last seen, and whether the inventory knows it.",
        discussion: "Exit codes: 0 listed; 1 with --fail-on-unmanaged and an unmanaged device; 2 usage or input error.")

    @Argument(help: "Captures, folders (an inventory .csv among them is read as one).")
    var paths: [String]

    @Option(name: .long, help: "The asset inventory CSV (asset_tag, hostname, mac, ip, owner, status).")
    var inventory: String?

    @Option(name: .long, help: "text (default), json or csv.")
    var format: DeviceList.Format = .text

    @Option(name: .long, help: "Write the list to this file instead of standard output.")
    var output: String?

    @Flag(name: .customLong("fail-on-unmanaged"), help: "Exit 1 when a device is not in the inventory.")
    var failOnUnmanaged = false

    @Flag(name: .long, help: "Print no warnings on standard error, only errors.")
    var quiet = false

    @OptionGroup var analysis: AnalysisOptions

    func run() throws {
        try analysis.validate()
        let given = try inventory.map { try Inventory(path: $0) }
        let result = try Audit.devices(
            paths, inventory: given, limits: analysis.limits, logOptions: analysis.logOptions)
        let list = DeviceList(devices: result.devices, hasInventory: result.hasInventory)
        try Output.write(list.render(format), to: output)
        if !quiet {
            for input in result.inputs {
                for warning in input.warnings { Terminal.warn("\(input.path): \(warning)") }
            }
        }
        for error in result.errors { Terminal.error(error) }
        if !result.errors.isEmpty { throw ExitCode(2) }
        if failOnUnmanaged && result.hasInventory && result.devices.contains(where: { !$0.managed }) {
            throw ExitCode(1)
        }
    }
}
