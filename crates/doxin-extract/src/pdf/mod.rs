//! PDF reading: embedded e-invoices, the text layer with positions. (In progress.)
