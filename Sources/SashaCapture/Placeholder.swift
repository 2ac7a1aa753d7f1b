// Placeholder: replaced by the capture module.
