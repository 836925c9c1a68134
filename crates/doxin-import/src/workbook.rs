//! An XLSX workbook read sheet by sheet and row by row as the cells stream out of the file
//! (calamine's cell reader), with columns found by their header names.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx, open_workbook};

use crate::ImportError;
use crate::cells::Cell;

/// A column a sheet is read for.
pub(crate) struct Column {
    pub name: &'static str,
    /// Other header names that mean the same.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

pub(crate) const fn req(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        required: true,
    }
}

pub(crate) const fn opt(name: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        name,
        aliases,
        required: false,
    }
}

/// A name compared without case, spaces, underscores or a plural `s`: `Sales Order Headers`,
/// `sales_order_header` and `SalesOrderHeader` are one name.
pub(crate) fn normalize(name: &str) -> String {
    let n: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if let Some(stem) = n.strip_suffix("ies") {
        return format!("{stem}y");
    }
    match n.strip_suffix('s') {
        Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_string(),
        _ => n,
    }
}

/// One data row, its cells in the order of the columns it was read for.
pub(crate) struct Row {
    pub number: u64,
    pub cells: Vec<Cell>,
}

impl Row {
    pub(crate) fn get(&self, column: usize) -> &Cell {
        self.cells.get(column).unwrap_or(&Cell::Empty)
    }
}

pub(crate) struct Workbook {
    inner: Xlsx<BufReader<File>>,
}

impl Workbook {
    pub(crate) fn open(path: &Path) -> Result<Workbook, ImportError> {
        let inner: Xlsx<_> = open_workbook(path).map_err(|e| ImportError::Read {
            path: path.display().to_string(),
            message: format!("not a readable XLSX workbook ({e})"),
        })?;
        Ok(Workbook { inner })
    }

    pub(crate) fn sheet_names(&self) -> Vec<String> {
        self.inner.sheet_names()
    }

    /// The sheet whose name is `name` or one of `aliases`, as [`normalize`] compares them.
    pub(crate) fn find_sheet(&self, name: &str, aliases: &[&str]) -> Option<String> {
        let wanted: Vec<String> = std::iter::once(name)
            .chain(aliases.iter().copied())
            .map(normalize)
            .collect();
        self.sheet_names()
            .into_iter()
            .find(|s| wanted.contains(&normalize(s)))
    }

    /// Reads `sheet` for `columns`, calling `each` with every non-empty row after the header
    /// (the first non-empty row). Returns the number of data rows.
    pub(crate) fn read(
        &mut self,
        sheet: &str,
        columns: &[Column],
        mut each: impl FnMut(Row),
    ) -> Result<u64, ImportError> {
        let read_err = |e: calamine::XlsxError| ImportError::Read {
            path: sheet.to_string(),
            message: e.to_string(),
        };
        let mut reader = self.inner.worksheet_cells_reader(sheet).map_err(read_err)?;
        // Column index in the sheet -> index in `columns`.
        let mut header: Option<Vec<Option<usize>>> = None;
        let mut current: Option<(u32, Vec<(u32, Cell)>)> = None;
        let mut rows = 0u64;
        let mut flush = |row: u32,
                         cells: Vec<(u32, Cell)>,
                         header: &mut Option<Vec<Option<usize>>>|
         -> Result<(), ImportError> {
            if cells.iter().all(|(_, c)| c.is_empty()) {
                return Ok(());
            }
            match header {
                None => *header = Some(map_header(sheet, columns, &cells)?),
                Some(map) => {
                    let mut out = vec![Cell::Empty; columns.len()];
                    for (col, cell) in cells {
                        if let Some(Some(i)) = map.get(col as usize) {
                            out[*i] = cell;
                        }
                    }
                    rows += 1;
                    each(Row {
                        number: u64::from(row) + 1,
                        cells: out,
                    });
                }
            }
            Ok(())
        };
        while let Some(cell) = reader.next_cell().map_err(read_err)? {
            let (row, col) = cell.get_position();
            let value = to_cell(cell.get_value());
            match &mut current {
                Some((r, cells)) if *r == row => cells.push((col, value)),
                _ => {
                    if let Some((r, cells)) = current.take() {
                        flush(r, cells, &mut header)?;
                    }
                    current = Some((row, vec![(col, value)]));
                }
            }
        }
        if let Some((r, cells)) = current.take() {
            flush(r, cells, &mut header)?;
        }
        if header.is_none() {
            let missing: Vec<&str> = columns
                .iter()
                .filter(|c| c.required)
                .map(|c| c.name)
                .collect();
            if !missing.is_empty() {
                return Err(ImportError::MissingColumns {
                    sheet: sheet.to_string(),
                    missing: format!("{} (the sheet is empty)", missing.join(", ")),
                });
            }
        }
        Ok(rows)
    }
}

fn map_header(
    sheet: &str,
    columns: &[Column],
    cells: &[(u32, Cell)],
) -> Result<Vec<Option<usize>>, ImportError> {
    let width = cells
        .iter()
        .map(|(c, _)| *c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut map = vec![None; width];
    let mut found = vec![false; columns.len()];
    for (col, cell) in cells {
        let Some(name) = cell.text() else { continue };
        let name = normalize(&name);
        if let Some(i) = columns.iter().position(|c| {
            normalize(c.name) == name || c.aliases.iter().any(|a| normalize(a) == name)
        }) && !found[i]
        {
            found[i] = true;
            map[*col as usize] = Some(i);
        }
    }
    let missing: Vec<&str> = columns
        .iter()
        .zip(&found)
        .filter(|(c, f)| c.required && !**f)
        .map(|(c, _)| c.name)
        .collect();
    if missing.is_empty() {
        Ok(map)
    } else {
        Err(ImportError::MissingColumns {
            sheet: sheet.to_string(),
            missing: missing.join(", "),
        })
    }
}

fn to_cell(v: &DataRef<'_>) -> Cell {
    match v {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) if d.is_datetime() => Cell::Date(d.as_f64()),
        DataRef::DateTime(d) => Cell::Number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn names_compare_loosely() {
        assert_eq!(
            normalize("Sales Order Headers"),
            normalize("SalesOrderHeader")
        );
        assert_eq!(normalize("sales_order_header"), "salesorderheader");
        assert_eq!(normalize("Address"), "address");
        assert_eq!(
            normalize("Product Categories"),
            normalize("ProductCategory")
        );
        assert_eq!(normalize("SalesTerritory"), normalize("Sales Territorys"));
    }
}
