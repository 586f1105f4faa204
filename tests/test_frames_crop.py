"""Placing the crop: the person moves and zooms a box of the format's shape over a picture of
another shape, and the server crops exactly that box (crop_x, crop_y: its top-left corner
in fractions of the picture; crop_zoom: its size against the largest box that fits)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageChops, ImageDraw, ImageStat

from generations.models import Generation
from lib import framing
from lib.images import normalise_first_frame
from tests.helpers import StudioTestCase, valid_data

CREATE_URL = reverse("generations:create")


def landmark_picture(width: int, height: int) -> bytes:
    """A picture whose every region looks different: a smooth two-way gradient with a grid
    of dark lines every 40 pixels, so a crop a few pixels off shows."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)]
    )
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 40):
        draw.line((x, 0, x, height), fill=(0, 0, 0), width=3)
    for y in range(0, height, 40):
        draw.line((0, y, width, y), fill=(0, 0, 0), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def upload(width: int, height: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("landmarks.png", landmark_picture(width, height), "image/png")


def difference(one: Image.Image, other: Image.Image) -> float:
    """Mean difference per channel, 0 to 255."""
    return max(ImageStat.Stat(ImageChops.difference(one.convert("RGB"), other.convert("RGB"))).mean)


class PlacedBoxTests(StudioTestCase):
    """The box in pixels, from the fractions the page posts."""

    def test_the_largest_box_fits_the_narrower_side(self):
        # A square picture on a landscape format: the whole width, 9/16 of the height.
        self.assertEqual(framing.largest_box_fraction(640, 640, "1280x720"), (1.0, 0.5625))
        # A landscape picture on a portrait format: the whole height.
        width, height = framing.largest_box_fraction(1280, 720, "720x1280")
        self.assertAlmostEqual(width, (720 * 720) / (1280 * 1280))
        self.assertEqual(height, 1.0)

    def test_a_placed_box_is_exactly_where_the_fractions_say(self):
        placement = framing.Placement(x=0.1, y=0.6, zoom=0.5)
        self.assertEqual(framing.placed_box(640, 640, "1280x720", placement), (64, 384, 384, 564))

    def test_the_centred_largest_box_is_the_centre_crop(self):
        box_w, box_h = framing.largest_box_fraction(1000, 800, "1280x720")
        centred = framing.Placement(x=(1 - box_w) / 2, y=(1 - box_h) / 2, zoom=1.0)
        self.assertEqual(
            framing.placed_box(1000, 800, "1280x720", centred),
            framing.crop_box(1000, 800, "1280x720"),
        )

    def test_a_hair_outside_the_picture_is_pulled_back_in(self):
        placement = framing.check_placement(0.0015, 1.0015 - 0.5625, 1.0, 640, 640, "1280x720")
        self.assertEqual(placement.x, 0.0)
        self.assertAlmostEqual(placement.y, 1 - 0.5625)


class CropPlacementFormTests(StudioTestCase):
    def post(self, picture: SimpleUploadedFile, size="1280x720", **crop):
        fields = {f"crop_{name}": value for name, value in crop.items()}
        return self.client.post(
            CREATE_URL,
            valid_data(size=size, first_frame=picture, first_frame_fit="crop", **fields),
        )

    def stored_first_frame(self) -> Image.Image:
        job = Generation.objects.get()
        with job.first_frame.open("rb") as handle:
            image = Image.open(handle)
            image.load()
        return image

    def checked(self, width: int, height: int) -> Image.Image:
        """The picture as the studio keeps it once checked (what the box is placed on)."""
        frame = normalise_first_frame(upload(width, height))
        return Image.open(io.BytesIO(frame.image))

    def test_the_server_crops_exactly_the_box_that_was_placed(self):
        response = self.post(upload(640, 640), x="0.1", y="0.6", zoom="0.5")

        self.assertEqual(response.status_code, 302)
        stored = self.stored_first_frame()
        self.assertEqual(stored.size, (320, 180))
        expected = self.checked(640, 640).crop((64, 384, 384, 564))
        self.assertLess(difference(stored, expected), 4)
        # And not the centre, nor a box a few pixels off.
        self.assertGreater(
            difference(stored, self.checked(640, 640).crop((160, 230, 480, 410))), 20
        )
        self.assertGreater(difference(stored, self.checked(640, 640).crop((72, 384, 392, 564))), 8)

    def test_a_whole_height_box_on_a_portrait_format_at_the_right_edge(self):
        box_w, _ = framing.largest_box_fraction(1280, 720, "720x1280")
        response = self.post(
            upload(1280, 720), size="720x1280", x=f"{1 - box_w:.5f}", y="0", zoom="1"
        )

        self.assertEqual(
            response.status_code, 302, response.context and response.context["form"].errors
        )
        stored = self.stored_first_frame()
        crop_w = round(box_w * 1280)
        self.assertEqual(stored.size, (crop_w, 720))
        expected = self.checked(1280, 720).crop((1280 - crop_w, 0, 1280, 720))
        self.assertLess(difference(stored, expected), 4)

    def test_a_large_box_is_cropped_then_brought_to_the_formats_size(self):
        response = self.post(upload(1600, 1600), x="0", y="0", zoom="1")  # 1600×900 box
        self.assertEqual(response.status_code, 302)
        stored = self.stored_first_frame()
        self.assertEqual(stored.size, (1280, 720))
        expected = self.checked(1600, 1600).crop((0, 0, 1600, 900)).resize((1280, 720))
        self.assertLess(difference(stored, expected), 4)

    def test_no_placement_still_means_the_centre(self):
        self.post(upload(640, 640))
        expected = self.checked(640, 640).crop(framing.crop_box(640, 640, "1280x720"))
        self.assertLess(difference(self.stored_first_frame(), expected), 4)

    def test_a_box_outside_the_picture_is_refused_with_a_sentence_and_the_picture_kept(self):
        response = self.post(upload(640, 640), x="0.2", y="0.6", zoom="1")  # y + 0.5625 > 1

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "The crop box must stay inside the picture.")
        self.assertFalse(Generation.objects.exists())
        form = response.context["form"]
        self.assertTrue(form.kept_token)  # the next try need not send the picture again
        self.assertContains(response, 'name="crop_x" id="id_crop_x" value="0.2"')

        again = self.client.post(
            CREATE_URL,
            valid_data(
                first_frame_token=form.kept_token,
                first_frame_fit="crop",
                crop_x="0",
                crop_y="0.4",
                crop_zoom="1",
            ),
        )
        self.assertEqual(again.status_code, 302, again.context and again.context["form"].errors)
        expected = self.checked(640, 640).crop((0, 256, 640, 616)).resize((640, 360))
        self.assertLess(difference(self.stored_first_frame(), expected), 4)

    def test_a_zoom_out_of_range_is_refused_with_a_sentence(self):
        for zoom in ("0.1", "1.5", "0", "-1"):
            response = self.post(upload(640, 640), x="0", y="0", zoom=zoom)
            self.assertContains(response, "zoom in up to 4 times")
        self.assertFalse(Generation.objects.exists())

    def test_unreadable_values_are_refused_with_a_sentence(self):
        for crop in (
            {"x": "left", "y": "0", "zoom": "1"},
            {"x": "0", "y": "", "zoom": "1"},
            {"x": "nan", "y": "0", "zoom": "1"},
            {"x": "0", "y": "0", "zoom": "inf"},
        ):
            response = self.post(upload(640, 640), **crop)
            self.assertContains(response, "The position of the crop box could not be read.")
        self.assertFalse(Generation.objects.exists())

    def test_the_box_is_ignored_when_veo_crops_or_the_shapes_agree(self):
        self.client.post(
            CREATE_URL,
            valid_data(
                first_frame=upload(640, 640),
                first_frame_fit="veo",
                crop_x="0.5",
                crop_y="0.5",
                crop_zoom="0.1",
            ),
        )
        self.assertEqual(self.stored_first_frame().size, (640, 640))
        Generation.objects.all().delete()
        self.client.post(
            CREATE_URL,
            valid_data(
                prompt="Another",
                first_frame=upload(640, 360),
                crop_x="9",
                crop_y="9",
                crop_zoom="9",
            ),
        )
        self.assertEqual(self.stored_first_frame().size, (640, 360))
