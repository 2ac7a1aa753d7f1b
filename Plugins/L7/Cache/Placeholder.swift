public enum HTTPCachePlaceholder {}
