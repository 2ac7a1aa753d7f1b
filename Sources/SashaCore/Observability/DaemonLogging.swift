import Logging
import SashaSDK

/// The daemon's logs: swift-log to standard error, one line per event, every line carrying the
/// member's address (several members on one host share a terminal or a journal).
public enum DaemonLogging {
    /// Once per process, before the first logger is made.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    public static func logger(node: IPv4Address) -> Logger {
        var logger = Logger(label: "sasha")
        logger[metadataKey: "node"] = "\(node)"
        return logger
    }
}
