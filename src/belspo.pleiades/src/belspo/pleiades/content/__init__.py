"""The content types: Product, AcquisitionRequest and UserGroup."""
