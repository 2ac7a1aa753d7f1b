// Placeholder: replaced by the packet module.
