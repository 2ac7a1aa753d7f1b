import CLibnet
public enum SashaLinkPlaceholder {}
