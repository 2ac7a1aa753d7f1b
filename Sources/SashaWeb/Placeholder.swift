public enum SashaWebPlaceholder {}
