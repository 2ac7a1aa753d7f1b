import SashaSDK
