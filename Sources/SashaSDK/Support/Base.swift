// The address type, the clocks and the lock are part of what a plugin author sees: importing the
// SDK imports them.
@_exported import SashaBase
