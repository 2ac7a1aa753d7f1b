import Foundation

/// Builds small plugins in C with the system compiler: well-formed ones, and each kind of bad one
/// the loader must refuse. The boundary is C, so a C plugin is a real plugin, not a mock.
public struct CPluginFixture {
    public var name: String
    public var kind: String
    public var abiVersion: String
    public var toolchain: String
    public var exportsEntry: Bool
    /// An ABI stamp to export as (abi version, toolchain), or nil for none (a plain C plugin).
    public var stamp: (abi: String, toolchain: String)?
    /// When set, the entry aborts the process: proves the loader refused without running it.
    public var entryAborts: Bool
    /// The descriptor's flags (C source), e.g. "SASHA_PLUGIN_CONSISTENT".
    public var flags: String

    public init(
        name: String = "fixture-policy", kind: String = "SASHA_PLUGIN_POLICY", abiVersion: String = "SASHA_ABI_VERSION",
        toolchain: String = "c", exportsEntry: Bool = true, stamp: (abi: String, toolchain: String)? = nil, entryAborts: Bool = false,
        flags: String = "0"
    ) {
        self.flags = flags
        self.stamp = stamp
        self.entryAborts = entryAborts
        self.name = name
        self.kind = kind
        self.abiVersion = abiVersion
        self.toolchain = toolchain
        self.exportsEntry = exportsEntry
    }

    /// Compiles the fixture to `path` (mode 0755) and returns the path.
    @discardableResult
    public func build(at path: String) throws -> String {
        let source = path + ".c"
        try self.source.write(toFile: source, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: source) }
        let include = PackagePaths.root + "/Sources/SashaABI/include"
        let result = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O1", "-I", include, "-o", path, source])
        guard result.status == 0 else { throw FixtureError(message: "cc failed: \(result.output)") }
        chmod(path, 0o755)
        return path
    }

    private var source: String {
        """
        #include <stdlib.h>
        #include <string.h>
        #include "sasha_abi.h"
        \(stamp.map { "const sasha_plugin_stamp sasha_plugin_abi_stamp = { sizeof(sasha_plugin_stamp), \($0.abi), \"\($0.toolchain)\" };" } ?? "")

        /* A first-server policy: enough behaviour to see a call cross the boundary both ways. */
        static uint32_t first;
        static sasha_status validate(const char *json, sasha_error *error) {
            if (json && strstr(json, "\\"bad\\"")) {
                strcpy(error->key, "bad"); strcpy(error->message, "fixture rejects 'bad'");
                return SASHA_ERR;
            }
            return SASHA_OK;
        }
        static void *create(const char *json, sasha_error *error) {
            return validate(json, error) == SASHA_OK ? (void *)&first : NULL;
        }
        static void destroy(void *instance) { (void)instance; }
        static void servers_changed(void *instance, const sasha_server *servers, size_t count,
                                    const char *const *tags, size_t tag_count) {
            (void)instance; (void)tags; (void)tag_count;
            first = count > 0 ? servers[0].address : 0;
        }
        static uint32_t pick(void *instance, const sasha_flow *flow) { (void)instance; (void)flow; return first; }
        static sasha_status start(void *instance, sasha_error *error) { (void)instance; (void)error; return SASHA_OK; }
        static void stop(void *instance) { (void)instance; }
        static void *strategy_create(const char *json, const char *context, const sasha_host *host, sasha_error *error) {
            (void)context; (void)host;
            return create(json, error);
        }

        static const sasha_policy_vtable policy = {
            .struct_size = sizeof(sasha_policy_vtable), .validate = validate, .create = create,
            .destroy = destroy, .servers_changed = servers_changed, .pick = pick,
        };
        static const sasha_strategy_vtable strategy = {
            .struct_size = sizeof(sasha_strategy_vtable), .validate = validate, .create = strategy_create,
            .destroy = destroy, .start = start, .stop = stop,
        };
        static const sasha_plugin_descriptor descriptor = {
            .struct_size = sizeof(sasha_plugin_descriptor), .abi_version = \(abiVersion),
            .toolchain = "\(toolchain)", .kind = \(kind), .flags = \(flags), .name = "\(name)",
            .description = "a fixture", .policy = &policy, .strategy = &strategy,
        };

        \(exportsEntry ? "" : "static ")const sasha_plugin_descriptor *\(exportsEntry ? "sasha_plugin_entry" : "not_the_entry")(const sasha_host *host) {
            (void)host;
            \(entryAborts ? "abort();" : "")
            return &descriptor;
        }
        """
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    let message: String
    public var description: String { message }
}

/// Runs a program to completion and returns its exit status and combined output.
public func run(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
