/*
 * sasha_abi.h — the whole contract between the Sasha core and its plugins.
 *
 * Why C: Linux has no stable Swift ABI, and Swift type metadata is per image, so a Swift protocol
 * cast across a dlopen boundary fails. Only the C types below cross it. Plugin authors normally
 * never touch this file: SashaSDK turns a Swift type into these tables.
 *
 * Conventions
 * - Every name is prefixed `sasha_` / `SASHA_`.
 * - Addresses are IPv4 in host byte order (127.0.0.1 == 0x7F000001). 0 means "none".
 * - Strings are NUL-terminated UTF-8. Unless a comment says otherwise, a pointer passed into a
 *   function is borrowed for the duration of that call only: copy what you keep.
 * - Each table starts with `struct_size`; a reader never touches a field beyond it, so a table can
 *   grow at the end without breaking older plugins. Anything else that changes bumps
 *   SASHA_ABI_VERSION, and the loader refuses plugins built against another version.
 * - A plugin is never unloaded (the loader uses RTLD_NODELETE and never calls dlclose): Swift's
 *   runtime keeps pointers into loaded images. A hot swap creates a new instance instead.
 */
#ifndef SASHA_ABI_H
#define SASHA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped on any incompatible change to the types or functions below. */
#define SASHA_ABI_VERSION 1u

/** The one symbol a plugin exports; its type is `sasha_plugin_entry_fn`. */
#define SASHA_PLUGIN_ENTRY_SYMBOL "sasha_plugin_entry"

/**
 * The data symbol the host reads with dlsym *before* calling any of the plugin's code: a plugin
 * built against another ABI version or by another toolchain is refused without running it (code
 * built for another Swift runtime can crash the host the moment it runs). It is defined in
 * SashaABI's sasha_abi.c, so every image that links SashaABI (the host, and every plugin built
 * with SashaSDK, which depends on it) carries its own; a plugin without it (plain C) is checked
 * by its descriptor alone.
 */
#define SASHA_PLUGIN_STAMP_SYMBOL "sasha_plugin_abi_stamp"

typedef struct sasha_plugin_stamp {
    uint32_t struct_size;
    uint32_t abi_version;   /**< SASHA_ABI_VERSION */
    char toolchain[120];    /**< the exact compiler that built the image (its clang version) */
} sasha_plugin_stamp;

/** This image's stamp (the host's own, or a plugin's when read through dlsym). */
extern const sasha_plugin_stamp sasha_plugin_abi_stamp;

typedef enum sasha_plugin_kind {
    SASHA_PLUGIN_POLICY = 1,   /**< picks a server for a new flow */
    SASHA_PLUGIN_STRATEGY = 2, /**< moves client traffic to servers (l4-2, l4-3, l7, ...) */
} sasha_plugin_kind;

typedef enum sasha_log_level {
    SASHA_LOG_TRACE = 0,
    SASHA_LOG_DEBUG = 1,
    SASHA_LOG_INFO = 2,
    SASHA_LOG_NOTICE = 3,
    SASHA_LOG_WARNING = 4,
    SASHA_LOG_ERROR = 5,
    SASHA_LOG_CRITICAL = 6,
} sasha_log_level;

/** Result of a fallible call. On SASHA_ERR the callee has filled the caller's sasha_error. */
typedef enum sasha_status {
    SASHA_OK = 0,
    SASHA_ERR = 1,
} sasha_status;

/**
 * An error a plugin reports, written into caller-owned storage.
 * `key` names the option at fault as a dotted path inside the plugin's options ("table_size",
 * "rules.0.host"), or is empty when the error is not about one option. The host maps it to a
 * FILE:LINE:COLUMN in the YAML. Both strings are truncated to fit and always NUL-terminated.
 */
typedef struct sasha_error {
    char key[128];
    char message[512];
} sasha_error;

/** One member that can serve, as the ring and the configuration see it. */
typedef struct sasha_server {
    uint32_t address;  /**< the member's IPv4 address: its identity everywhere */
    uint16_t port;     /**< port its service answers on (service.port) */
    uint16_t weight;   /**< relative share of new flows; 0 = take no new flows (drain) */
    uint64_t tags;     /**< bit i set: the server has tag i of the tag table passed alongside */
    uint8_t mac[6];    /**< its MAC on the cluster link, all zero when not known yet */
    uint8_t up;        /**< 1 = healthy member of the ring; 0 = give it no new flows */
    uint8_t reserved;  /**< zero */
} sasha_server;

/** A flow flag: `l7_key` is meaningful. */
#define SASHA_FLOW_HAS_L7_KEY 1u
/**
 * A flow flag: the connection is already under way, but the dispatcher has no record of it (a
 * packet other than a SYN, after the map lost it). Only a consistent policy (one that answers
 * the same flow the same way, such as maglev; its descriptor says SASHA_PLUGIN_CONSISTENT) can
 * say where it went. The host never asks any other policy about such a flow: its `pick` answers
 * 0, and the strategy drops the packet.
 */
#define SASHA_FLOW_MID_STREAM 2u

/** What a policy knows about a new flow when it picks a server. */
typedef struct sasha_flow {
    uint32_t client_address; /**< IPv4 of the client */
    uint16_t client_port;
    uint16_t cluster_port;   /**< the VIP port the client connected to */
    uint64_t l7_key;         /**< e.g. a hash of host and path; valid with SASHA_FLOW_HAS_L7_KEY */
    uint32_t flags;          /**< SASHA_FLOW_* bits */
    uint32_t group;          /**< 0: any server; n > 0: only servers with tag n-1 (content routing) */
} sasha_flow;

/** A connection a server holds, or a dispatcher maps; used to rebuild a new dispatcher's map. */
typedef struct sasha_connection {
    uint32_t client_address;
    uint16_t client_port;
    uint16_t cluster_port;
    uint32_t server;          /**< address of the server holding it */
    uint32_t reserved;        /**< zero */
    uint64_t started_ns;      /**< host monotonic clock when first seen; 0 when unknown */
} sasha_connection;

/**
 * Receives bytes the callee produces (a stats document). `data` is borrowed for the call. The
 * function and its `context` are valid only until the call that was given them returns: call it
 * from that call's thread, before returning, any number of times; never keep either.
 */
typedef void (*sasha_emit_fn)(void *context, const char *data, size_t length);
/**
 * Receives a batch of connections. `list` is borrowed for the call; may be called many times.
 * Same lifetime as sasha_emit_fn: only inside the call that was given it, on that call's thread.
 */
typedef void (*sasha_connection_sink_fn)(void *context, const sasha_connection *list, size_t count);

/**
 * Callbacks the host offers a plugin. The table is owned by the host and lives as long as the
 * process; a plugin may keep the pointer. Every callback is thread-safe and may be called from any
 * thread, including the data path, unless its comment says otherwise. Always pass `host` itself as
 * the first argument.
 */
typedef struct sasha_host {
    uint32_t struct_size;
    uint32_t abi_version;
    void *context; /**< opaque to plugins */

    /** Log a line under the plugin's name. `message` is borrowed. */
    void (*log)(const struct sasha_host *host, sasha_log_level level, const char *message);

    /**
     * Register a counter or gauge once, at create time (not thread-safe against itself; takes a
     * lock). `name` and `help` are borrowed. Returns a handle >= 0, or -1 when the name is invalid.
     */
    int32_t (*register_counter)(const struct sasha_host *host, const char *name, const char *help);
    int32_t (*register_gauge)(const struct sasha_host *host, const char *name, const char *help);
    /** Data-path safe: no allocation, no lock. Unknown handles are ignored. */
    void (*counter_add)(const struct sasha_host *host, int32_t handle, uint64_t delta);
    void (*gauge_set)(const struct sasha_host *host, int32_t handle, double value);

    /** Monotonic clock in nanoseconds. Data-path safe. */
    uint64_t (*monotonic_ns)(const struct sasha_host *host);

    /**
     * Ask the current policy for a server for a new flow (strategies call this; the host routes it
     * to whichever policy is current, which is how a live swap reaches a strategy). Returns the
     * server's address, or 0 when none can take the flow. Data-path safe.
     */
    uint32_t (*pick)(const struct sasha_host *host, const sasha_flow *flow);
    /** Tell the current policy a flow was opened / closed on `server`. Data-path safe. */
    void (*connection_opened)(const struct sasha_host *host, uint32_t server);
    void (*connection_closed)(const struct sasha_host *host, uint32_t server);

    /**
     * Leave `server` out of new flows for `duration_ns` nanoseconds: a strategy saw it refuse or
     * drop connections. The host passes it to the policy and the strategy with `up = 0` and puts it
     * back when the time is over (unless the ring says it is unhealthy); a later call replaces the
     * time, and 0 puts it back at once. Thread-safe; takes a lock, so call it on failures, not
     * for every flow.
     */
    void (*exclude_server)(const struct sasha_host *host, uint32_t server, uint64_t duration_ns);

    /**
     * Make this member's own service answer on `address`:`port` too (`listen` = 1), or no longer
     * (`listen` = 0). An l4-2 server must accept connections addressed to the VIP, an l4-3 server
     * connections to its own address on the cluster ports. Call it from prepare_server and
     * unprepare_server (control thread). The embedded web server binds there; an external service
     * (`service.external_port`) must be set up to listen there itself, which the host logs; a
     * member that serves nothing ignores the call. On SASHA_ERR `error` says why (the bind failed).
     */
    sasha_status (*serve_also)(const struct sasha_host *host, uint32_t address, uint16_t port, int32_t listen,
                               sasha_error *error);

    /**
     * The strategy's running data path failed and cannot carry traffic (its capture interface is
     * gone, and reopening it failed); `reason` says why. The host takes this member out of the
     * dispatcher election on the ring, so another member takes the VIP, and stops the strategy;
     * it lets the member be elected again later. Any thread; the strategy must not wait for the
     * stop inside the call.
     */
    void (*data_path_failed)(const struct sasha_host *host, const char *reason);
} sasha_host;

/**
 * A policy's functions. `instance` is what `create` returned. Threading: `pick`,
 * `connection_opened` and `connection_closed` are called from many threads at once, concurrently
 * with one `servers_changed` at a time; every other function is called from one thread at a time.
 * Lifetime: after a live swap the old instance gets no new call; `destroy` runs once no call that
 * started before the swap is still running on it (the last policy may never be destroyed: the
 * process exits first). A flow flagged SASHA_FLOW_MID_STREAM reaches `pick` only when the
 * descriptor says SASHA_PLUGIN_CONSISTENT.
 */
typedef struct sasha_policy_vtable {
    uint32_t struct_size;
    uint32_t reserved;        /**< zero */

    /** Check options without creating anything (used by `sasha check`). `options_json` borrowed. */
    sasha_status (*validate)(const char *options_json, sasha_error *error);
    /** Make an instance from options (a JSON object, borrowed). NULL with `error` filled on failure. */
    void *(*create)(const char *options_json, sasha_error *error);
    /** Free an instance. No other call on it is running or will follow. */
    void (*destroy)(void *instance);
    /**
     * The servers are now exactly this list (borrowed, copy it). `tag_names[i]` names bit i of
     * sasha_server.tags; tag ids are stable for the life of the process.
     */
    void (*servers_changed)(void *instance, const sasha_server *servers, size_t count,
                            const char *const *tag_names, size_t tag_count);
    /** Pick a server for a new flow: its address, or 0 when none can take it. Must be cheap. */
    uint32_t (*pick)(void *instance, const sasha_flow *flow);
    void (*connection_opened)(void *instance, uint32_t server);
    void (*connection_closed)(void *instance, uint32_t server);
} sasha_policy_vtable;

/**
 * A strategy's functions. All are called from one control thread except `stats`, which may run on
 * any thread, concurrently with the data path and with the other functions (never with `destroy`:
 * the host holds the instance while it asks). The strategy runs its own data path threads.
 * Order: `start` and `prepare_server` are never in effect at once (the host calls `stop` before
 * `prepare_server`, and `unprepare_server` before `start`); at shutdown the host calls `stop` (if
 * started) and `unprepare_server` (if prepared). `destroy` comes after them, if at all before the
 * process exits (`servers_changed` may still come in between); after it nothing is called on
 * the instance.
 */
typedef struct sasha_strategy_vtable {
    uint32_t struct_size;
    uint32_t reserved;        /**< zero */

    /** Check options without creating anything. */
    sasha_status (*validate)(const char *options_json, sasha_error *error);
    /**
     * Make an instance. `options_json` is the plugin's options; `context_json` describes the
     * cluster and this member ({"node": "...", "vip": "...", "ports": [...], "interface": "..."}).
     * Both borrowed. `host` is the table of the member this instance belongs to (several members
     * may run in one process): its `pick` reaches that member's policy, its `exclude_server`,
     * `serve_also` and `data_path_failed` that member. It lives for the process; keep it with the
     * instance, not in a global.
     */
    void *(*create)(const char *options_json, const char *context_json, const sasha_host *host,
                    sasha_error *error);
    void (*destroy)(void *instance);
    /** Become the dispatcher: take the VIP and start the data path. */
    sasha_status (*start)(void *instance, sasha_error *error);
    /** Stop dispatching: give the VIP back, drain. Returns when the VIP is released. */
    void (*stop)(void *instance);
    /** Set up this member's server side of the mode (VIP on lo, routes, ...). */
    sasha_status (*prepare_server)(void *instance, sasha_error *error);
    /** Undo prepare_server. */
    void (*unprepare_server)(void *instance);
    /** Same contract as the policy's. */
    void (*servers_changed)(void *instance, const sasha_server *servers, size_t count,
                            const char *const *tag_names, size_t tag_count);
    /** As a server: report the connections this member holds on the cluster ports. */
    void (*list_connections)(void *instance, sasha_connection_sink_fn sink, void *sink_context);
    /** As a dispatcher: add these connections to the map (borrowed list). */
    void (*import_connections)(void *instance, const sasha_connection *list, size_t count);
    /** Emit a JSON object of counters and state. */
    void (*stats)(void *instance, sasha_emit_fn emit, void *emit_context);
} sasha_strategy_vtable;

/**
 * A descriptor flag for a policy: it answers the same flow the same way whatever else happened
 * (consistent hashing, as maglev does), so the host may ask it about SASHA_FLOW_MID_STREAM flows.
 */
#define SASHA_PLUGIN_CONSISTENT 1u

/**
 * What the entry symbol returns. Owned by the plugin, immutable, valid for the life of the process.
 */
typedef struct sasha_plugin_descriptor {
    uint32_t struct_size;
    uint32_t abi_version;        /**< SASHA_ABI_VERSION the plugin was built against */
    const char *toolchain;       /**< "swift-6.3" or "c": shown by `sasha plugins`; the toolchain
                                      is checked by the stamp alone, and a library without a stamp
                                      must say "c" */
    sasha_plugin_kind kind;
    uint32_t flags;              /**< SASHA_PLUGIN_CONSISTENT or zero for a policy; zero for a
                                      strategy; the host refuses a bit it does not know */
    const char *name;            /**< e.g. "round-robin": what YAML names */
    const char *description;     /**< one line */
    const sasha_policy_vtable *policy;     /**< set when kind == SASHA_PLUGIN_POLICY */
    const sasha_strategy_vtable *strategy; /**< set when kind == SASHA_PLUGIN_STRATEGY */
} sasha_plugin_descriptor;

/**
 * The entry point, exported as SASHA_PLUGIN_ENTRY_SYMBOL. Called once per process right after
 * dlopen, from the control thread. `host` lives for the process but belongs to no member: use it to
 * log and register metrics; its `pick` answers 0 and its member callbacks go nowhere (a strategy
 * uses the table its `create` is given). Returns the descriptor, or NULL
 * if the plugin cannot run in this host (it should log why through `host->log` first).
 */
typedef const sasha_plugin_descriptor *(*sasha_plugin_entry_fn)(const sasha_host *host);

#ifdef __cplusplus
}
#endif

#endif /* SASHA_ABI_H */
