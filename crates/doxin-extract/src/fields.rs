//! The canonical invoice as plain values in the shape of the evaluation corpus fields. (In progress.)
