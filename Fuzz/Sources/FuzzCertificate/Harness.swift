import FuzzSupport

@testable import VigilCrypto
@testable import VigilDisposal

/// The certificate reader of `vigil cert verify|show` and the ledger: canonical JSON, its fields,
/// and the DER structure check run on a detached signature. Canonical form is a fixed point:
/// what it writes reads back to the same bytes, or the target stops.
enum Harness {
    static func run(_ input: FuzzBytes) {
        let bytes = input.array
        if let document = CanonicalJSON.parse(bytes) {
            let canonical = document.bytes
            guard let again = CanonicalJSON.parse(canonical) else {
                fatalError("canonical JSON that does not read back")
            }
            precondition(again.bytes == canonical, "canonical JSON is not a fixed point")
            for path in [["device", "serial"], ["sanitization", "method"], ["verification", "result"], ["asset"]] {
                _ = document.text(at: path, missing: "-")
            }
        }
        _ = CMS.structureProblem(bytes)
    }
}
