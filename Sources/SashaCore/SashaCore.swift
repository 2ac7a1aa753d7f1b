public enum SashaCore {}
