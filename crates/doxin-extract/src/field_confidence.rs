//! The confidence of each value in [`crate::fields::to_fields`]'s output, keyed by the same
//! paths (`invoice_id`, `seller.address.city`, `lines[2].quantity`), for calibration.

use std::collections::HashMap;

use doxin_model::{Address, Field, Invoice, Party};

fn put<T>(m: &mut HashMap<String, f32>, path: String, f: &Field<T>) {
    if let Some(e) = f {
        m.insert(path, e.confidence);
    }
}

fn party(m: &mut HashMap<String, f32>, prefix: &str, p: &Party) {
    put(m, format!("{prefix}.name"), &p.name);
    put(m, format!("{prefix}.trading_name"), &p.trading_name);
    put(m, format!("{prefix}.vat_id"), &p.vat_id);
    put(
        m,
        format!("{prefix}.tax_registration_id"),
        &p.tax_registration_id,
    );
    put(
        m,
        format!("{prefix}.legal_registration_id"),
        &p.legal_registration_id,
    );
    address(m, &format!("{prefix}.address"), &p.address);
}

fn address(m: &mut HashMap<String, f32>, prefix: &str, a: &Address) {
    put(m, format!("{prefix}.line1"), &a.line1);
    put(m, format!("{prefix}.line2"), &a.line2);
    put(m, format!("{prefix}.line3"), &a.line3);
    put(m, format!("{prefix}.city"), &a.city);
    put(m, format!("{prefix}.postal_code"), &a.postal_code);
    put(
        m,
        format!("{prefix}.country_subdivision"),
        &a.country_subdivision,
    );
    put(m, format!("{prefix}.country"), &a.country);
}

/// Path → confidence for every value the invoice has.
pub fn field_confidences(inv: &Invoice) -> HashMap<String, f32> {
    let mut m = HashMap::new();
    put(&mut m, "invoice_id".into(), &inv.invoice_number);
    put(&mut m, "type_code".into(), &inv.type_code);
    put(&mut m, "issue_date".into(), &inv.issue_date);
    put(&mut m, "due_date".into(), &inv.due_date);
    put(&mut m, "currency".into(), &inv.currency);
    put(&mut m, "buyer_reference".into(), &inv.buyer_reference);
    put(&mut m, "order_reference".into(), &inv.purchase_order_ref);
    party(&mut m, "seller", &inv.seller);
    party(&mut m, "buyer", &inv.buyer);
    let t = &inv.totals;
    put(
        &mut m,
        "totals.line_extension_amount".into(),
        &t.line_extension_amount,
    );
    put(
        &mut m,
        "totals.allowance_total_amount".into(),
        &t.allowance_total_amount,
    );
    put(
        &mut m,
        "totals.charge_total_amount".into(),
        &t.charge_total_amount,
    );
    put(
        &mut m,
        "totals.tax_exclusive_amount".into(),
        &t.tax_exclusive_amount,
    );
    put(&mut m, "totals.tax_amount".into(), &t.tax_amount);
    put(
        &mut m,
        "totals.tax_inclusive_amount".into(),
        &t.tax_inclusive_amount,
    );
    put(&mut m, "totals.prepaid_amount".into(), &t.prepaid_amount);
    put(&mut m, "totals.rounding_amount".into(), &t.rounding_amount);
    put(&mut m, "totals.payable_amount".into(), &t.payable_amount);
    for (i, l) in inv.lines.iter().enumerate() {
        let p = |k: &str| format!("lines[{i}].{k}");
        put(&mut m, p("id"), &l.id);
        put(&mut m, p("description"), &l.description);
        put(&mut m, p("item_description"), &l.item_description);
        put(&mut m, p("seller_item_id"), &l.seller_item_id);
        put(&mut m, p("quantity"), &l.quantity);
        put(&mut m, p("unit_code"), &l.unit_code);
        put(&mut m, p("unit_price"), &l.unit_price);
        put(&mut m, p("price_base_quantity"), &l.price_base_quantity);
        put(&mut m, p("gross_unit_price"), &l.gross_unit_price);
        put(&mut m, p("line_amount"), &l.line_amount);
        put(&mut m, p("vat_category"), &l.vat_category);
        put(&mut m, p("vat_rate"), &l.vat_rate);
    }
    m
}
