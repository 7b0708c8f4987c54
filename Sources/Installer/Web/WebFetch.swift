internal import CCurl
import PortalCommon
public import Runtime

/// One small file over HTTP(S): a `.flatpakrepo` or `.flatpakref` a
/// publisher links to. Repositories themselves are pulled by libostree.
///
/// libcurl is the one libostree already loads (the GnuTLS build), so no
/// second TLS stack comes in. Certificates are verified (libcurl's
/// default, never turned off); redirects may only lead to http or https,
/// never to file:// or another scheme a server could point a client at;
/// the body is capped, so a hostile server cannot fill memory.
public enum WebFetch {
    public static func isWebURL(_ location: String) -> Bool {
        location.hasPrefix("http://") || location.hasPrefix("https://")
    }

    public static func get(_ url: String, limit: Int = 1 << 20) throws(InstallerError) -> [UInt8] {
        guard isWebURL(url) else { throw InstallerError(.invalidContent, "\(url) is not an http:// or https:// URL") }
        guard let curl = curl_easy_init() else { throw InstallerError(.unreachable, "cannot fetch \(url): libcurl did not start") }
        defer { curl_easy_cleanup(curl) }
        let sink = Sink(limit: limit)
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var message = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = message.withUnsafeMutableBufferPointer { buffer in
            for (option, value) in [(CURLOPT_FOLLOWLOCATION, 1), (CURLOPT_MAXREDIRS, 5), (CURLOPT_FAILONERROR, 1),
                                    (CURLOPT_NOSIGNAL, 1), (CURLOPT_CONNECTTIMEOUT, 15),
                                    // A server that stalls (under 1 byte/s for 30 s) is an error, not a hang.
                                    (CURLOPT_LOW_SPEED_LIMIT, 1), (CURLOPT_LOW_SPEED_TIME, 30)] {
                _ = burrow_curl_set_long(curl, option, value)
            }
            _ = burrow_curl_set_string(curl, CURLOPT_URL, url)
            _ = burrow_curl_set_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
            _ = burrow_curl_set_string(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
            _ = burrow_curl_set_string(curl, CURLOPT_USERAGENT, "burrow/\(BurrowVersion.string)")
            _ = burrow_curl_set_pointer(curl, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            _ = burrow_curl_set_pointer(curl, CURLOPT_WRITEDATA, context.toOpaque())
            _ = burrow_curl_set_write_function(curl) { data, size, count, context in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                let length = size * count
                // Returning less than given makes libcurl stop with CURLE_WRITE_ERROR.
                guard sink.bytes.count + length <= sink.limit else { sink.overflowed = true; return 0 }
                sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
                return length
            }
            return curl_easy_perform(curl)
        }
        if sink.overflowed {
            throw InstallerError(.invalidContent, "cannot fetch \(url): larger than \(limit) bytes, not a repository description")
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw InstallerError(.unreachable, "cannot fetch \(url): \(reason)")
        }
        return sink.bytes
    }

    private final class Sink {
        let limit: Int
        var bytes: [UInt8] = []
        var overflowed = false
        init(limit: Int) { self.limit = limit }
    }
}
