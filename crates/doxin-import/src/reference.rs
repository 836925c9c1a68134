//! The earlier system's reference workbook, AdventureWorks-shaped: nine sheets, read in the
//! order their references need (a subcategory names its category, a product its subcategory,
//! an order its customer, salesperson, territory and ship method, an order line its order and
//! product). A row that fails a check or names something that is not there (or was itself
//! rejected) is reported and left out; an order with a rejected line is left out as a whole,
//! since an invoice missing a line would be wrong, not partial.
//!
//! Where the rows go: the six kinds of reference data to `reference_data`, companies to the
//! workspace's customers (keyed by their id in the workbook), each sales order to an invoice
//! from the workspace (the seller) to its customer, with the earlier system's fields (ship
//! date, ship method, territory, salesperson, order status) in the invoice's legacy fields.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use doxin_model::{Address, AllowanceCharge, Extracted, Invoice, InvoiceLine, Party};
use doxin_store::{CompanyKind, ImportedCompany, ReferenceKind, ReferenceRow, Store};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::workbook::{Column, Row, Workbook, opt, req};
use crate::{ImportError, ImportSummary, Progress, content_hash};

/// Where the import goes and what the workbook leaves unsaid.
#[derive(Debug, Clone)]
pub struct ReferenceOptions {
    pub workspace: Uuid,
    /// The user the invoices belong to.
    pub owner: Uuid,
    /// The seller on every sales order (the organisation whose sales the workbook holds).
    pub seller_name: String,
    /// The currency of orders without a `CurrencyCode` and of product costs and prices.
    pub currency: String,
}

/// A sheet of the workbook: its name, other names it may have, and its columns.
pub struct Sheet {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    columns: &'static [Column],
}

impl Sheet {
    /// The column names in order, as the sample workbook writes them.
    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }
}

pub const CATEGORY: Sheet = Sheet {
    name: "ProductCategory",
    aliases: &["Category"],
    columns: &[req("ProductCategoryID", &["CategoryID"]), req("Name", &[])],
};
pub const SUBCATEGORY: Sheet = Sheet {
    name: "ProductSubcategory",
    aliases: &["Subcategory"],
    columns: &[
        req("ProductSubcategoryID", &["SubcategoryID"]),
        req("ProductCategoryID", &["CategoryID"]),
        req("Name", &[]),
    ],
};
pub const PRODUCT: Sheet = Sheet {
    name: "Product",
    aliases: &[],
    columns: &[
        req("ProductID", &[]),
        req("Name", &["ProductName"]),
        opt("ProductNumber", &["SKU"]),
        opt("ProductSubcategoryID", &["SubcategoryID"]),
        opt("StandardCost", &["Cost", "UnitCost"]),
        opt("ListPrice", &[]),
        opt("Color", &[]),
        opt("Size", &[]),
    ],
};
pub const TERRITORY: Sheet = Sheet {
    name: "SalesTerritory",
    aliases: &["Territory"],
    columns: &[
        req("TerritoryID", &[]),
        req("Name", &[]),
        opt("CountryRegionCode", &["Country"]),
        opt("Group", &[]),
    ],
};
pub const SALESPERSON: Sheet = Sheet {
    name: "SalesPerson",
    aliases: &["Salespeople"],
    columns: &[
        req("SalesPersonID", &["BusinessEntityID"]),
        opt("FirstName", &[]),
        opt("LastName", &[]),
        opt("Name", &["FullName"]),
        opt("TerritoryID", &[]),
    ],
};
pub const SHIP_METHOD: Sheet = Sheet {
    name: "ShipMethod",
    aliases: &[],
    columns: &[
        req("ShipMethodID", &[]),
        req("Name", &[]),
        opt("ShipBase", &[]),
        opt("ShipRate", &[]),
    ],
};
pub const COMPANY: Sheet = Sheet {
    name: "Company",
    aliases: &["Customer", "Store"],
    columns: &[
        req("CompanyID", &["CustomerID"]),
        req("CompanyName", &["Name"]),
        opt("AccountNumber", &[]),
        opt("VatID", &["TaxID"]),
        opt("AddressLine1", &["Address"]),
        opt("AddressLine2", &[]),
        opt("City", &[]),
        opt("StateProvince", &["State"]),
        opt("PostalCode", &["ZIP"]),
        opt("CountryRegionCode", &["CountryRegion", "Country"]),
        opt("TerritoryID", &[]),
    ],
};
pub const ORDER: Sheet = Sheet {
    name: "SalesOrderHeader",
    aliases: &["SalesOrder", "Order"],
    columns: &[
        req("SalesOrderID", &[]),
        opt("SalesOrderNumber", &[]),
        req("OrderDate", &[]),
        opt("DueDate", &[]),
        opt("ShipDate", &[]),
        opt("Status", &[]),
        opt("PurchaseOrderNumber", &[]),
        req("CustomerID", &["CompanyID"]),
        opt("SalesPersonID", &[]),
        opt("TerritoryID", &[]),
        opt("ShipMethodID", &[]),
        opt("CurrencyCode", &["Currency"]),
        opt("SubTotal", &[]),
        opt("TaxAmt", &["TaxAmount"]),
        opt("Freight", &[]),
        opt("TotalDue", &[]),
        opt("Comment", &[]),
    ],
};
pub const ORDER_LINE: Sheet = Sheet {
    name: "SalesOrderDetail",
    aliases: &["SalesOrderLine", "OrderLine"],
    columns: &[
        req("SalesOrderID", &[]),
        opt("SalesOrderDetailID", &[]),
        req("ProductID", &[]),
        req("OrderQty", &["Quantity"]),
        req("UnitPrice", &[]),
        opt("UnitPriceDiscount", &["Discount"]),
        opt("LineTotal", &[]),
        opt("CarrierTrackingNumber", &[]),
    ],
};

/// The nine sheets in the order they are read.
pub const SHEETS: [&Sheet; 9] = [
    &CATEGORY,
    &SUBCATEGORY,
    &PRODUCT,
    &TERRITORY,
    &SALESPERSON,
    &SHIP_METHOD,
    &COMPANY,
    &ORDER,
    &ORDER_LINE,
];

/// A required identifier, or the reason the row is rejected.
fn need_id(row: &Row, col: usize, name: &str) -> Result<String, String> {
    row.get(col)
        .id()
        .map_err(|e| format!("{name}: {e}"))?
        .ok_or_else(|| format!("{name} is missing"))
}

fn opt_id(row: &Row, col: usize, name: &str) -> Result<Option<String>, String> {
    row.get(col).id().map_err(|e| format!("{name}: {e}"))
}

fn need_text(row: &Row, col: usize, name: &str) -> Result<String, String> {
    row.get(col)
        .text()
        .ok_or_else(|| format!("{name} is missing"))
}

/// A decimal that must not be negative.
fn amount(row: &Row, col: usize, name: &str) -> Result<Option<Decimal>, String> {
    let v = row.get(col).decimal().map_err(|e| format!("{name}: {e}"))?;
    match v {
        Some(d) if d.is_sign_negative() && !d.is_zero() => {
            Err(format!("{name} must not be negative, not {d}"))
        }
        _ => Ok(v),
    }
}

fn date(row: &Row, col: usize, name: &str) -> Result<Option<NaiveDate>, String> {
    row.get(col).date().map_err(|e| format!("{name}: {e}"))
}

/// A reference that must name a row imported from `sheet`.
fn known(
    id: &str,
    set: &HashMap<String, impl Sized>,
    what: &str,
    sheet: &str,
) -> Result<(), String> {
    if set.contains_key(id) {
        Ok(())
    } else {
        Err(format!(
            "{what} {id} is not in {sheet} (or its row was rejected)"
        ))
    }
}

#[derive(Debug, Clone)]
struct Named {
    name: String,
    number: Option<String>,
}

#[derive(Debug, Clone)]
struct Company {
    name: String,
    account: Option<String>,
    vat_id: Option<String>,
    address: Address,
}

#[derive(Debug)]
struct Order {
    row: u64,
    id: String,
    number: Option<String>,
    order_date: NaiveDate,
    due_date: Option<NaiveDate>,
    ship_date: Option<NaiveDate>,
    status: Option<String>,
    purchase_order: Option<String>,
    customer: String,
    salesperson: Option<String>,
    territory: Option<String>,
    ship_method: Option<String>,
    currency: String,
    subtotal: Option<Decimal>,
    tax: Option<Decimal>,
    freight: Option<Decimal>,
    total: Option<Decimal>,
    comment: Option<String>,
    lines: Vec<Line>,
    /// Why the order is left out, once one of its lines was rejected.
    broken: Option<String>,
}

#[derive(Debug)]
struct Line {
    detail_id: Option<String>,
    product: String,
    quantity: Decimal,
    unit_price: Decimal,
    discount: Decimal,
    line_total: Decimal,
    tracking: Option<String>,
}

/// Imports the workbook at `path`.
pub async fn import(
    path: &Path,
    opts: &ReferenceOptions,
    store: &dyn Store,
    progress: Progress<'_>,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let mut book = Workbook::open(path)?;
    let mut names = Vec::new();
    let mut missing = Vec::new();
    for sheet in SHEETS {
        match book.find_sheet(sheet.name, sheet.aliases) {
            Some(n) => names.push(n),
            None => missing.push(sheet.name),
        }
    }
    if !missing.is_empty() {
        return Err(ImportError::MissingSheets {
            missing: missing.join(", "),
            found: book.sheet_names().join(", "),
        });
    }
    let mut summary = ImportSummary::default();
    let mut reference: Vec<ReferenceRow> = Vec::new();

    // Reads one sheet into `rows`, rejecting what `check` refuses and repeated identifiers.
    macro_rules! sheet {
        ($i:expr, $sheet:expr, $check:expr) => {{
            let name = names[$i].clone();
            let mut rejected = Vec::new();
            let mut seen: HashSet<String> = HashSet::new();
            let mut ok = Vec::new();
            let check = $check;
            let n = book.read(&name, $sheet.columns, |row: Row| {
                let number = row.number;
                match check(&row) {
                    Ok((id, value)) => {
                        if seen.insert(String::clone(&id)) {
                            ok.push((number, id, value));
                        } else {
                            rejected.push((
                                number,
                                format!("{} {id} appears twice", $sheet.columns[0].name),
                            ));
                        }
                    }
                    Err(reason) => rejected.push((number, reason)),
                }
                if number.is_multiple_of(10_000) {
                    progress(&name, number, None);
                }
            })?;
            summary.rows_read.insert($sheet.name.to_string(), n);
            for (row, reason) in rejected {
                summary.reject($sheet.name, row, reason);
            }
            ok
        }};
    }

    let reference_row = |kind: ReferenceKind,
                         id: &str,
                         name: &str,
                         parent: Option<String>,
                         cost: Option<Decimal>,
                         price: Option<Decimal>,
                         currency: Option<String>,
                         attributes: serde_json::Value| {
        let content = json!([name, parent, cost, price, currency, attributes]);
        ReferenceRow {
            kind,
            external_id: id.to_string(),
            name: name.to_string(),
            parent_id: parent,
            unit_cost: cost,
            list_price: price,
            currency,
            attributes,
            content_hash: content_hash(&content),
        }
    };

    // Categories and subcategories.
    let categories: HashMap<String, String> = sheet!(0, CATEGORY, |r: &Row| -> Result<_, String> {
        Ok((
            need_id(r, 0, "ProductCategoryID")?,
            need_text(r, 1, "Name")?,
        ))
    })
    .into_iter()
    .map(|(_, id, name)| (id, name))
    .collect();
    for (id, name) in &categories {
        reference.push(reference_row(
            ReferenceKind::Category,
            id,
            name,
            None,
            None,
            None,
            None,
            json!({}),
        ));
    }
    let subcategories: HashMap<String, String> =
        sheet!(1, SUBCATEGORY, |r: &Row| -> Result<_, String> {
            let id = need_id(r, 0, "ProductSubcategoryID")?;
            let category = need_id(r, 1, "ProductCategoryID")?;
            known(&category, &categories, "product category", CATEGORY.name)?;
            Ok((id, (category, need_text(r, 2, "Name")?)))
        })
        .into_iter()
        .map(|(_, id, (category, name))| {
            reference.push(reference_row(
                ReferenceKind::Subcategory,
                &id,
                &name,
                Some(category),
                None,
                None,
                None,
                json!({}),
            ));
            (id, name)
        })
        .collect();

    // Products.
    let currency = opts.currency.clone();
    let products: HashMap<String, Named> = sheet!(2, PRODUCT, |r: &Row| -> Result<_, String> {
        let id = need_id(r, 0, "ProductID")?;
        let name = need_text(r, 1, "Name")?;
        let subcategory = opt_id(r, 3, "ProductSubcategoryID")?;
        if let Some(s) = &subcategory {
            known(s, &subcategories, "product subcategory", SUBCATEGORY.name)?;
        }
        let cost = amount(r, 4, "StandardCost")?;
        let price = amount(r, 5, "ListPrice")?;
        Ok((
            id,
            (
                name,
                r.get(2).text(),
                subcategory,
                cost,
                price,
                r.get(6).text(),
                r.get(7).text(),
            ),
        ))
    })
    .into_iter()
    .map(
        |(_, id, (name, number, subcategory, cost, price, color, size))| {
            reference.push(reference_row(
                ReferenceKind::Product,
                &id,
                &name,
                subcategory,
                cost,
                price,
                (cost.is_some() || price.is_some()).then(|| currency.clone()),
                json!({ "product_number": number, "color": color, "size": size }),
            ));
            (id, Named { name, number })
        },
    )
    .collect();

    // Territories, salespersons, ship methods.
    let territories: HashMap<String, String> =
        sheet!(3, TERRITORY, |r: &Row| -> Result<_, String> {
            Ok((
                need_id(r, 0, "TerritoryID")?,
                (need_text(r, 1, "Name")?, r.get(2).text(), r.get(3).text()),
            ))
        })
        .into_iter()
        .map(|(_, id, (name, country, group))| {
            reference.push(reference_row(
                ReferenceKind::Territory,
                &id,
                &name,
                None,
                None,
                None,
                None,
                json!({ "country": country, "group": group }),
            ));
            (id, name)
        })
        .collect();
    let salespersons: HashMap<String, String> =
        sheet!(4, SALESPERSON, |r: &Row| -> Result<_, String> {
            let id = need_id(r, 0, "SalesPersonID")?;
            let name = match (r.get(3).text(), r.get(1).text(), r.get(2).text()) {
                (Some(full), _, _) => full,
                (None, Some(first), Some(last)) => format!("{first} {last}"),
                (None, Some(one), None) | (None, None, Some(one)) => one,
                (None, None, None) => return Err("the salesperson has no name".into()),
            };
            let territory = opt_id(r, 4, "TerritoryID")?;
            if let Some(t) = &territory {
                known(t, &territories, "territory", TERRITORY.name)?;
            }
            Ok((id, (name, territory)))
        })
        .into_iter()
        .map(|(_, id, (name, territory))| {
            reference.push(reference_row(
                ReferenceKind::Salesperson,
                &id,
                &name,
                territory,
                None,
                None,
                None,
                json!({}),
            ));
            (id, name)
        })
        .collect();
    let ship_methods: HashMap<String, String> =
        sheet!(5, SHIP_METHOD, |r: &Row| -> Result<_, String> {
            let id = need_id(r, 0, "ShipMethodID")?;
            let name = need_text(r, 1, "Name")?;
            Ok((
                id,
                (name, amount(r, 2, "ShipBase")?, amount(r, 3, "ShipRate")?),
            ))
        })
        .into_iter()
        .map(|(_, id, (name, base, rate))| {
            reference.push(reference_row(
                ReferenceKind::ShipMethod,
                &id,
                &name,
                None,
                None,
                None,
                None,
                json!({ "ship_base": base, "ship_rate": rate }),
            ));
            (id, name)
        })
        .collect();
    progress("reference data", 0, Some(reference.len() as u64));
    for kind in ReferenceKind::ALL {
        let rows: Vec<ReferenceRow> = reference
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect();
        let counts = store.upsert_reference(opts.workspace, &rows).await?;
        summary.add(kind.as_str(), counts);
    }

    // Companies, as the workspace's customers.
    let companies: HashMap<String, Company> = sheet!(6, COMPANY, |r: &Row| -> Result<_, String> {
        let id = need_id(r, 0, "CompanyID")?;
        let name = need_text(r, 1, "CompanyName")?;
        if let Some(t) = opt_id(r, 10, "TerritoryID")? {
            known(&t, &territories, "territory", TERRITORY.name)?;
        }
        let h = |c: usize| r.get(c).text().map(Extracted::human);
        let address = Address {
            line1: h(4),
            line2: h(5),
            city: h(6),
            country_subdivision: h(7),
            postal_code: h(8),
            country: h(9),
            ..Address::default()
        };
        Ok((
            id,
            Company {
                name,
                account: r.get(2).text(),
                vat_id: r.get(3).text(),
                address,
            },
        ))
    })
    .into_iter()
    .map(|(_, id, c)| (id, c))
    .collect();
    let imported: Vec<ImportedCompany> = companies
        .iter()
        .map(|(id, c)| {
            let address = serde_json::to_value(&c.address).unwrap_or_default();
            ImportedCompany {
                external_ref: id.clone(),
                kind: CompanyKind::Customer,
                name: c.name.clone(),
                vat_id: c.vat_id.clone(),
                country: c.address.country.as_ref().map(|v| v.value.clone()),
                content_hash: content_hash(&json!([c.name, c.account, c.vat_id, address])),
                address,
            }
        })
        .collect();
    progress("companies", 0, Some(imported.len() as u64));
    let (counts, company_ids) = store
        .upsert_imported_companies(opts.workspace, &imported)
        .await?;
    summary.add("company", counts);

    // Order headers: kept in memory (a few hundred bytes each) until their lines are read.
    let mut orders: Vec<Order> = sheet!(7, ORDER, |r: &Row| -> Result<_, String> {
        let id = need_id(r, 0, "SalesOrderID")?;
        let order_date = date(r, 2, "OrderDate")?.ok_or("OrderDate is missing")?;
        let customer = need_id(r, 7, "CustomerID")?;
        known(&customer, &companies, "customer", COMPANY.name)?;
        let salesperson = opt_id(r, 8, "SalesPersonID")?;
        if let Some(s) = &salesperson {
            known(s, &salespersons, "salesperson", SALESPERSON.name)?;
        }
        let territory = opt_id(r, 9, "TerritoryID")?;
        if let Some(t) = &territory {
            known(t, &territories, "territory", TERRITORY.name)?;
        }
        let ship_method = opt_id(r, 10, "ShipMethodID")?;
        if let Some(s) = &ship_method {
            known(s, &ship_methods, "ship method", SHIP_METHOD.name)?;
        }
        let currency = match r.get(11).text() {
            Some(c) if c.len() == 3 && c.chars().all(|c| c.is_ascii_alphabetic()) => {
                c.to_ascii_uppercase()
            }
            Some(c) => return Err(format!("CurrencyCode {c:?} is not an ISO 4217 code")),
            None => currency.clone(),
        };
        Ok((
            id.clone(),
            Order {
                row: r.number,
                id,
                number: r.get(1).text(),
                order_date,
                due_date: date(r, 3, "DueDate")?,
                ship_date: date(r, 4, "ShipDate")?,
                status: r.get(5).text(),
                purchase_order: r.get(6).text(),
                customer,
                salesperson,
                territory,
                ship_method,
                currency,
                subtotal: amount(r, 12, "SubTotal")?,
                tax: amount(r, 13, "TaxAmt")?,
                freight: amount(r, 14, "Freight")?,
                total: amount(r, 15, "TotalDue")?,
                comment: r.get(16).text(),
                lines: Vec::new(),
                broken: None,
            },
        ))
    })
    .into_iter()
    .map(|(_, _, order)| order)
    .collect();
    let by_id: HashMap<String, usize> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.clone(), i))
        .collect();

    // Order lines, attached to their orders as they stream by.
    let line_sheet = names[8].clone();
    let mut line_rejections = Vec::new();
    let n = book.read(&line_sheet, ORDER_LINE.columns, |r: Row| {
        let number = r.number;
        if number.is_multiple_of(10_000) {
            progress(&line_sheet, number, None);
        }
        let order = match need_id(&r, 0, "SalesOrderID") {
            Ok(id) => match by_id.get(&id) {
                Some(i) => *i,
                None => {
                    line_rejections.push((
                        number,
                        format!(
                            "sales order {id} is not in {} (or its row was rejected)",
                            ORDER.name
                        ),
                    ));
                    return;
                }
            },
            Err(reason) => {
                line_rejections.push((number, reason));
                return;
            }
        };
        match parse_line(&r, &products) {
            Ok(line) => orders[order].lines.push(line),
            Err(reason) => {
                let o = &mut orders[order];
                if o.broken.is_none() {
                    o.broken = Some(format!(
                        "left out because its line in {} row {number} was rejected",
                        ORDER_LINE.name
                    ));
                }
                line_rejections.push((number, reason));
            }
        }
    })?;
    summary.rows_read.insert(ORDER_LINE.name.to_string(), n);
    for (row, reason) in line_rejections {
        summary.reject(ORDER_LINE.name, row, reason);
    }

    // The orders as invoices, a batch at a time.
    let mut writer = crate::writer::InvoiceWriter::new(
        store,
        opts.workspace,
        opts.owner,
        progress,
        orders.len() as u64,
    );
    for order in orders {
        if let Some(reason) = order.broken {
            summary.reject(ORDER.name, order.row, reason);
            continue;
        }
        if order.lines.is_empty() {
            summary.reject(
                ORDER.name,
                order.row,
                format!("the order has no line in {}", ORDER_LINE.name),
            );
            continue;
        }
        let company = &companies[&order.customer];
        let invoice = order_invoice(
            &order,
            company,
            opts,
            &products,
            &territories,
            &salespersons,
            &ship_methods,
        );
        let customer_id = company_ids.get(&order.customer).copied();
        writer
            .push(
                format!("sales-order:{}", order.id),
                invoice,
                None,
                customer_id,
            )
            .await?;
    }
    let (counts, lines) = writer.finish().await?;
    summary.lines += lines;
    summary.add("invoice", counts);
    summary.rejections.sort_by(|a, b| {
        let pos = |s: &str| {
            SHEETS
                .iter()
                .position(|x| x.name == s)
                .unwrap_or(usize::MAX)
        };
        (pos(&a.sheet), a.row).cmp(&(pos(&b.sheet), b.row))
    });
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn parse_line(r: &Row, products: &HashMap<String, Named>) -> Result<Line, String> {
    let product = need_id(r, 2, "ProductID")?;
    known(&product, products, "product", PRODUCT.name)?;
    let quantity = r
        .get(3)
        .decimal()
        .map_err(|e| format!("OrderQty: {e}"))?
        .ok_or("OrderQty is missing")?;
    if quantity <= Decimal::ZERO {
        return Err(format!("OrderQty must be positive, not {quantity}"));
    }
    let unit_price = amount(r, 4, "UnitPrice")?.ok_or("UnitPrice is missing")?;
    let discount = r
        .get(5)
        .decimal()
        .map_err(|e| format!("UnitPriceDiscount: {e}"))?
        .unwrap_or_default();
    if discount < Decimal::ZERO || discount >= Decimal::ONE {
        return Err(format!(
            "UnitPriceDiscount is a fraction from 0 to below 1, not {discount}"
        ));
    }
    let computed = (quantity * unit_price * (Decimal::ONE - discount)).round_dp(2);
    let line_total = match amount(r, 6, "LineTotal")? {
        Some(given) if (given - computed).abs() > Decimal::new(1, 2) => {
            return Err(format!(
                "LineTotal {given} is not OrderQty × UnitPrice × (1 − UnitPriceDiscount) = {computed}"
            ));
        }
        Some(given) => given,
        None => computed,
    };
    Ok(Line {
        detail_id: opt_id(r, 1, "SalesOrderDetailID")?,
        product,
        quantity,
        unit_price,
        discount,
        line_total,
        tracking: r.get(7).text(),
    })
}

#[allow(clippy::too_many_arguments)]
fn order_invoice(
    o: &Order,
    company: &Company,
    opts: &ReferenceOptions,
    products: &HashMap<String, Named>,
    territories: &HashMap<String, String>,
    salespersons: &HashMap<String, String>,
    ship_methods: &HashMap<String, String>,
) -> Invoice {
    let h = |s: &str| Some(Extracted::human(s.to_string()));
    let d = |v: Decimal| Some(Extracted::human(v));
    let lines: Vec<InvoiceLine> = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let p = &products[&l.product];
            let net_price = (l.unit_price * (Decimal::ONE - l.discount)).round_dp(4);
            InvoiceLine {
                id: h(&l.detail_id.clone().unwrap_or_else(|| (i + 1).to_string())),
                description: h(&p.name),
                seller_item_id: p.number.as_deref().and_then(h),
                quantity: d(l.quantity),
                unit_code: h("C62"),
                unit_price: d(net_price),
                gross_unit_price: (!l.discount.is_zero()).then(|| Extracted::human(l.unit_price)),
                line_amount: d(l.line_total),
                note: l
                    .tracking
                    .as_deref()
                    .and_then(|t| h(&format!("tracking {t}"))),
                ..InvoiceLine::default()
            }
        })
        .collect();
    let line_sum: Decimal = o.lines.iter().map(|l| l.line_total).sum();
    let subtotal = o.subtotal.unwrap_or(line_sum);
    let freight = o.freight.unwrap_or_default();
    let tax = o.tax.unwrap_or_default();
    let exclusive = subtotal + freight;
    let total = o.total.unwrap_or(exclusive + tax);
    let mut invoice = Invoice {
        invoice_number: h(o.number.as_deref().unwrap_or(&format!("SO{}", o.id))),
        issue_date: Some(Extracted::human(o.order_date)),
        due_date: o.due_date.map(Extracted::human),
        delivery_date: o.ship_date.map(Extracted::human),
        currency: h(&o.currency),
        purchase_order_ref: o.purchase_order.as_deref().and_then(h),
        sales_order_ref: o.number.as_deref().and_then(h),
        customer_number: company.account.as_deref().and_then(h),
        payment_terms: None,
        seller: Party {
            name: h(&opts.seller_name),
            ..Party::default()
        },
        buyer: Party {
            name: h(&company.name),
            vat_id: company.vat_id.as_deref().and_then(h),
            address: company.address.clone(),
            ..Party::default()
        },
        lines,
        notes: o.comment.iter().cloned().collect(),
        ..Invoice::default()
    };
    if !freight.is_zero() {
        invoice.allowances_charges.push(AllowanceCharge {
            is_charge: true,
            amount: d(freight),
            reason: h("Freight"),
            ..AllowanceCharge::default()
        });
    }
    let t = &mut invoice.totals;
    t.line_extension_amount = d(subtotal);
    t.charge_total_amount = (!freight.is_zero()).then(|| Extracted::human(freight));
    t.tax_exclusive_amount = d(exclusive);
    t.tax_amount = d(tax);
    t.tax_inclusive_amount = d(total);
    t.payable_amount = d(total);
    let l = &mut invoice.legacy;
    l.sales_order_id = h(&o.id);
    l.ship_date = o.ship_date.map(Extracted::human);
    l.ship_via = o.ship_method.as_ref().and_then(|s| h(&ship_methods[s]));
    l.territory = o.territory.as_ref().and_then(|s| h(&territories[s]));
    l.salesperson = o.salesperson.as_ref().and_then(|s| h(&salespersons[s]));
    l.order_status = o.status.as_deref().and_then(h);
    invoice
}
