// The report builder: choosing another measure asks again, so the dimensions, segment and
// period offered are that measure's.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const measure = document.getElementById("report-measure");
    if (!measure) return;
    measure.addEventListener("change", () => {
      const form = measure.form;
      for (const name of ["by1", "by2"]) form.elements[name].value = "";
      form.submit();
    });
  });
})();
