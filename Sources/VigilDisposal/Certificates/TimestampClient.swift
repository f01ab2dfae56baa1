internal import Foundation
internal import VigilCore
internal import VigilCrypto

#if canImport(FoundationNetworking)
    internal import FoundationNetworking
#endif

/// Asks an RFC 3161 time-stamping authority over HTTP for a token over some bytes (a
/// certificate's signature), so the certificate can be verified after its signer certificate
/// expires.
public enum TimestampClient {
    /// POSTs a TimeStampReq for `data` to `url` and returns the DER TimeStampResp, checked to
    /// parse and grant (its signature is checked later, against the TSA's CA).
    public static func stamp(_ data: [UInt8], url: String, timeout: Double = 30) throws -> [UInt8] {
        guard let endpoint = URL(string: url), ["http", "https"].contains(endpoint.scheme?.lowercased() ?? "") else {
            throw VigilError(.usage, reason: "--tsa-url '\(url)' is not an http or https URL")
        }
        let query = try RFC3161.request(for: data)
        var request = URLRequest(url: endpoint, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/timestamp-query", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(query)
        final class Box: @unchecked Sendable {
            var data: Data?
            var status = 0
            var error: (any Error)?
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession(configuration: .ephemeral).dataTask(with: request) { data, response, error in
            box.data = data
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error {
            throw VigilError(
                .unreadable, path: url,
                reason: "the time-stamping authority did not answer: \(error.localizedDescription)")
        }
        guard box.status == 200, let body = box.data, !body.isEmpty else {
            throw VigilError(.unreadable, path: url, reason: "the time-stamping authority answered HTTP \(box.status)")
        }
        return Array(body)
    }
}
