/// The Swift compiler this image was built with, as "swift-MAJOR.MINOR".
///
/// Linux has no stable Swift ABI: a plugin must be built by the same toolchain as the host, whose
/// runtime it ends up using. Host and plugin each compile this constant, and the loader compares
/// them. Minor releases are where the runtime changes, so the patch level is not part of it.
public let swiftToolchain: String = {
    #if compiler(>=7.0)
    return "swift-7+"
    #elseif compiler(>=6.4)
    return "swift-6.4"
    #elseif compiler(>=6.3)
    return "swift-6.3"
    #elseif compiler(>=6.2)
    return "swift-6.2"
    #elseif compiler(>=6.1)
    return "swift-6.1"
    #else
    return "swift-6.0"
    #endif
}()
