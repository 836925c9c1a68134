// Review page: field highlights and shortcuts (filled in with the review page).
"use strict";
